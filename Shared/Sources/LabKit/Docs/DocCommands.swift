import Foundation

/// The shell commands a document tells the learner to run: every line of its ```sh and ```bash blocks,
/// without blank lines and `#` comments, in document order.
///
/// Tests run exactly these lines, so README.md and SCENARIO.md cannot drift from the tools.
public enum DocCommands {
    public static func extract(fromMarkdown markdown: String) -> [String] {
        var commands: [String] = []
        var inShellBlock = false
        var inOtherBlock = false
        for rawLine in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") {
                if inShellBlock || inOtherBlock {
                    inShellBlock = false
                    inOtherBlock = false
                } else {
                    let language = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                    inShellBlock = ["sh", "bash", "shell"].contains(language)
                    inOtherBlock = !inShellBlock
                }
                continue
            }
            guard inShellBlock, !line.isEmpty, !line.hasPrefix("#") else { continue }
            commands.append(line)
        }
        return commands
    }

    /// Commands that keep running (a server in the foreground): the test starts them in the background and
    /// waits for the server instead of waiting for them to exit.
    public static func isLongRunning(_ command: String) -> Bool {
        let program = self.program(command)
        return program.hasPrefix("./lab up") || program.hasPrefix("./lab watch")
    }

    /// Commands whose exit status is a verdict (1 = a target was missed), not an error.
    public static func exitStatusIsVerdict(_ command: String) -> Bool {
        let program = self.program(command)
        return program.hasPrefix("./lab load") || program.hasPrefix("./lab check") || program.hasPrefix("./lab deploy")
            || program.hasPrefix("./lab fault")
    }

    /// What the output of a verdict command must contain, whatever the verdict: the shape of its report
    /// (docs-check runs loads shortened, so it checks the report is whole rather than its numbers).
    public static func expectedOutput(_ command: String) -> [String] {
        let program = self.program(command)
        if program.hasPrefix("./lab check") { return ["Targets (from lab.json):", "What the check observed"] }
        if program.hasPrefix("./lab load") { return ["Verdict against the scenario's targets:"] }
        if program.hasPrefix("./lab deploy") || program.hasPrefix("./lab fault") { return ["Fault phase:"] }
        return []
    }

    /// The command without the environment assignments in front of it:
    /// `DATABASE_POOL_SIZE=40 ./lab up 03` → `./lab up 03`.
    public static func program(_ command: String) -> String {
        var words = command.split(separator: " ", omittingEmptySubsequences: true)
        while let first = words.first, let equals = first.firstIndex(of: "="),
            first[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !first[..<equals].isEmpty
        {
            words.removeFirst()
        }
        return words.joined(separator: " ")
    }
}
