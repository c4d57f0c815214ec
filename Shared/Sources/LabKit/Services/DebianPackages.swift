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
}
