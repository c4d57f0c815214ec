import Foundation

/// Runs other programs (pg_ctl, swift build, psql...) and reports failures with their output.
public enum Shell {
    public struct Output: Sendable {
        public var status: Int32
        public var text: String
    }

    /// Runs `arguments` and captures stdout and stderr together.
    ///
    /// Output goes to a temporary file rather than a pipe: `pg_ctl start` leaves a daemon behind that would
    /// inherit a pipe's write end, and reading "until end of file" would then wait for ever.
    @discardableResult
    public static func capture(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> Output {
        let (child, outputFile) = try self.spawnCapturing(arguments, in: directory, environment: environment)
        return self.output(status: child.wait(), in: outputFile)
    }

    /// Starts `arguments` with stdout and stderr going to a new temporary file.
    private static func spawnCapturing(_ arguments: [String], in directory: URL?, environment: [String: String]?) throws -> (ChildProcess, URL) {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("lab-\(UUID().uuidString).out")
        do {
            return (try ChildProcess.spawn(arguments, in: directory, environment: environment, output: .file(outputFile.path)), outputFile)
        } catch {
            try? FileManager.default.removeItem(at: outputFile)
            throw error
        }
    }

    /// What a captured program printed (its file is removed), with its exit status.
    private static func output(status: Int32, in outputFile: URL) -> Output {
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let data = (try? Data(contentsOf: outputFile)) ?? Data()
        return Output(status: status, text: String(decoding: data, as: UTF8.self))
    }

    /// The output of a program that must succeed; otherwise an error that quotes it.
    private static func succeeded(_ output: Output, _ arguments: [String]) throws -> String {
        guard output.status == 0 else {
            throw LabError("`\(arguments.joined(separator: " "))` failed (exit \(output.status)):\n\(output.text)")
        }
        return output.text
    }

    /// Runs `arguments` with the terminal attached (output streams to the learner), returns the exit status.
    @discardableResult
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> Int32 {
        try ChildProcess.spawn(arguments, in: directory, environment: environment).wait()
    }

    /// Like ``capture(_:in:environment:)`` but throws with the program's output when it fails.
    @discardableResult
    public static func checked(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> String {
        try self.succeeded(try self.capture(arguments, in: directory, environment: environment), arguments)
    }

    // The same three for async code. Swift picks these in an async context (the caller writes `await`): they
    // wait for the program on a thread of their own (``ChildProcess/exitStatus()``), where the ones above would
    // hold one of the cooperative pool's threads (two on a 2-core machine) for the whole of a `swift build`.

    @discardableResult
    public static func capture(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) async throws -> Output {
        let (child, outputFile) = try self.spawnCapturing(arguments, in: directory, environment: environment)
        return self.output(status: await child.exitStatus(), in: outputFile)
    }

    @discardableResult
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) async throws -> Int32 {
        try await ChildProcess.spawn(arguments, in: directory, environment: environment).exitStatus()
    }

    @discardableResult
    public static func checked(_ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) async throws -> String {
        try self.succeeded(try await self.capture(arguments, in: directory, environment: environment), arguments)
    }

    /// The full path of `program` on PATH, or nil.
    public static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public static var isRoot: Bool { geteuid() == 0 }
}

/// Prints a line and flushes it at once, so progress shows even when output goes to a file or a pipe
/// (a Codespace's log, CI), where standard output is otherwise buffered.
public func say(_ text: String = "") {
    print(text)
    fflush(nil)
}
