import Foundation

/// Which process listens on a TCP port of 127.0.0.1: the lab finds an instance this way whether watch mode
/// runs it (no pid file) or it runs in the background, to pause it or restart it (scenario 06).
///
/// Linux only, from `/proc` (what `ss -ltnp` reads): the listening socket's inode in `/proc/net/tcp`, then
/// the process holding a descriptor on that socket. The lab's instances run as the learner's user, whose
/// `/proc/PID/fd` the learner may read.
public enum PortOwner {
    /// The pid listening on `port`, or nil when none (or not on Linux).
    public static func pid(listeningOn port: Int) -> Int32? {
        guard let inode = self.listeningInode(port: port) else { return nil }
        let target = "socket:[\(inode)]"
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in processes {
            guard let pid = Int32(entry) else { continue }
            let folder = "/proc/\(entry)/fd"
            guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for descriptor in descriptors where (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(descriptor)")) == target {
                return pid
            }
        }
        return nil
    }

    /// The inode of the socket listening (state 0A) on `port`, from `/proc/net/tcp` and `/proc/net/tcp6`.
    static func listeningInode(port: Int) -> String? {
        let hexPort = String(format: ":%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                guard fields.count > 9, fields[1].hasSuffix(hexPort), fields[3] == "0A" else { continue }
                return String(fields[9])
            }
        }
        return nil
    }
}
