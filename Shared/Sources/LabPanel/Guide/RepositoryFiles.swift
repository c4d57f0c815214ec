import Foundation

/// The files the panel may serve: inside the repository, never outside it (no `..`, no symbolic link out, no
/// absolute path), and never the lab's private state, build folders or git's files (no path component that
/// starts with a dot, no `.build*`).
public struct RepositoryFiles: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL.resolvingSymlinksInPath()
    }

    /// What a served file is, by extension: how to send it.
    public enum Kind: Sendable, Equatable {
        case markdown
        case svg
        case png
        case text
    }

    /// Extensions served; anything else is refused (a learner's repository holds nothing else worth a link).
    static let kinds: [String: Kind] = [
        "md": .markdown, "svg": .svg, "png": .png,
        "swift": .text, "sql": .text, "conf": .text, "json": .text, "yml": .text, "yaml": .text, "txt": .text,
        "sh": .text, "cfg": .text, "resolved": .text,
    ]

    /// The file at `relative` (as it came in the URL, already percent-decoded), or nil when it is not one the
    /// panel serves.
    public func resolve(_ relative: String) -> (url: URL, path: String, kind: Kind)? {
        guard !relative.isEmpty, !relative.contains("\0"), !relative.hasPrefix("/"), !relative.contains("\\") else { return nil }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.hasPrefix(".") && $0 != "~" }) else { return nil }
        var url = self.root
        for part in parts { url.appendPathComponent(String(part)) }
        let real = url.standardizedFileURL.resolvingSymlinksInPath()
        guard real.path.hasPrefix(self.root.path + "/") else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: real.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        let name = real.lastPathComponent
        let kind = name == "Dockerfile" ? .text : Self.kinds[(name as NSString).pathExtension.lowercased()]
        guard let kind else { return nil }
        return (real, String(real.path.dropFirst(self.root.path.count + 1)), kind)
    }
}
