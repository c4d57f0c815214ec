import Foundation

/// How much of the machine's CPU went to programs other than the lab's own during a measurement: the
/// scenario's server, PostgreSQL, nginx, the load tool. On a 2-core Codespace, Grafana, a compiler or a
/// browser tab can take a core away from the server, and the numbers then say more about the machine than
/// about the code: `./lab check` says so instead of letting a learner chase a problem that is not theirs.
///
/// Read from `/proc` (Linux): the machine's busy time from `/proc/stat`, each process's from
/// `/proc/<pid>/stat`. A process is the lab's when its program lives in the repository or its build folder
/// (servers, the load tool, companions; the build folder is outside the repository in a Codespace), or when it
/// is PostgreSQL, nginx or HAProxy working in the repository (PostgreSQL's processes work in its data folder,
/// `.lab/postgres/data`; the lab starts nginx and HAProxy from the repository's root). Another checkout's
/// PostgreSQL on the same machine is someone else's work.
public struct MachineLoad: Sendable {
    let paths: LabPaths
    let start: Sample?

    struct Sample: Sendable {
        var busy: Double
        var total: Double
        /// CPU ticks of each lab process so far, by `pid:start time` (a pid can be reused).
        var lab: [String: Double]
    }

    /// Starts measuring now.
    public init(paths: LabPaths) {
        self.paths = paths
        self.start = Self.sample(paths)
    }

    /// The share (0 to 1) of the machine's CPU that other programs used since ``init(paths:)``; nil where
    /// `/proc` cannot be read.
    public func othersShare() -> Double? {
        guard let start = self.start, let end = Self.sample(self.paths), end.total > start.total else { return nil }
        // Per process, so a lab process that ended meanwhile (a server restarted by watch mode) does not
        // subtract its whole life's CPU; one that started meanwhile counts from zero.
        let lab = end.lab.reduce(0.0) { sum, process in sum + max(0, process.value - (start.lab[process.key] ?? 0)) }
        let others = (end.busy - start.busy) - lab
        return min(1, max(0, others / (end.total - start.total)))
    }

    /// A sentence for the learner when other programs took more than `threshold` of the CPU, else nil.
    public func note(threshold: Double = 0.25) -> String? {
        guard let share = self.othersShare(), share > threshold else { return nil }
        return String(
            format: "⚠ The machine was busy with other work: %.0f%% of its CPU went to programs other than the lab's during the load. "
                + "Timing targets may be missed for that reason alone; if one is, check again when the machine is quieter.",
            share * 100
        )
    }

    static func sample(_ paths: LabPaths) -> Sample? {
        // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks.
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 5 else { return nil }
        let total = ticks.prefix(8).reduce(0, +)
        let idle = ticks[3] + ticks[4]
        var lab: [String: Double] = [:]
        let root = paths.root.path + "/"
        let scratch = paths.scratch.path + "/"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe")) ?? ""
            let name = URL(fileURLWithPath: exe).lastPathComponent
            let isOurs: Bool
            if exe.hasPrefix(root) || exe.hasPrefix(scratch) {
                isOurs = true
            } else if ["postgres", "nginx", "haproxy"].contains(name) {
                let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd")) ?? ""
                isOurs = (directory + "/").hasPrefix(root)
            } else {
                isOurs = false
            }
            guard isOurs else { continue }
            // "pid (name) state ppid ... utime stime cutime cstime" (fields 14 to 17): with the children's
            // times, the per-request backends PostgreSQL forks and reaps count as the lab's too.
            guard let text = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else {
                continue
            }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 19 else { continue }
            lab["\(entry):\(fields[19])"] = fields[11...14].compactMap { Double($0) }.reduce(0, +)
        }
        return Sample(busy: total - idle, total: total, lab: lab)
    }
}
