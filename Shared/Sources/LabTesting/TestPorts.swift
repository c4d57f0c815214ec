import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ports for the real programs a test starts (Redis, a replica) on loopback.
///
/// Not the kernel's "any free port" (bind to port 0): that comes from the ephemeral range (32768–60999 on
/// Linux), the same range every outgoing connection takes its local port from, so under a test that opens
/// thousands of connections the port can be taken between the moment it is picked and the moment the program
/// binds it ("already in use"). These come from 20000–29999, which no outgoing connection uses, picked at
/// random and checked free at the moment.
public enum TestPorts {
    public static func free() -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20000..<30000)
            if Self.canBind(port) { return port }
        }
        preconditionFailure("no free port in 20000-29999 on 127.0.0.1")
    }

    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
