import Foundation

/// Splits a SQL file into statements, because PostgreSQL's extended protocol (what postgres-nio speaks)
/// runs one statement per query.
///
/// Enough for the lab's own files (schemas, fixes): a statement ends with `;` at the end of a line, and
/// `--` comment lines are dropped. Not a SQL parser: no function bodies with `;` inside.
public enum SQLScript {
    public static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }
}
