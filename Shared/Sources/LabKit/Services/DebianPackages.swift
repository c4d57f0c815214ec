import Foundation

/// Installs the Debian packages a lab command needs (PostgreSQL, nginx), the first time, when this machine
/// lets it: as root, or with `sudo` that needs no password. Otherwise the caller tells the learner the one
/// command to run.
enum DebianPackages {
    /// Tries to install `packages` with apt-get; returns false when it cannot (not Debian, no rights) or
    /// apt-get fails.
    /// - Parameter what: what is missing, for the message (`PostgreSQL server programs`).
    static func install(_ packages: [String], what: String) throws -> Bool {
        guard Shell.which("apt-get") != nil else { return false }
        let apt = ["apt-get", "install", "-y", "--no-install-recommends"] + packages
        if Shell.isRoot {
            say("\(what) not found: installing them with apt-get (one time)...")
            _ = try? Shell.run(["apt-get", "update"])
            return try Shell.run(apt) == 0
        }
        guard Shell.which("sudo") != nil, (try? Shell.capture(["sudo", "-n", "true"]).status) == 0 else { return false }
        say("\(what) not found: installing them with sudo apt-get (one time)...")
        _ = try? Shell.run(["sudo", "-n", "apt-get", "update"])
        return try Shell.run(["sudo", "-n"] + apt) == 0
    }

    /// A program Debian puts in /usr/sbin, which is not on every user's PATH (nginx, haproxy): its path,
    /// installing its package the first time when this machine lets the lab.
    /// - Throws: ``LabError`` with the one command to run when it is missing and cannot be installed here.
    static func sbinProgram(_ name: String, package: String, what: String) throws -> String {
        func find() -> String? {
            Shell.which(name) ?? ["/usr/sbin/\(name)", "/usr/local/sbin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        if let found = find() { return found }
        guard try self.install([package], what: what), let found = find() else {
            throw LabError(
                """
                \(what) is not installed. Install it, then run the same command again:
                    sudo apt-get install -y \(package)
                """
            )
        }
        return found
    }
}
