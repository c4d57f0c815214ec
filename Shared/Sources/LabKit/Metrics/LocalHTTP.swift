import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking HTTP/1.1 GET to a loopback port (`Connection: close`), for the tooling and tests: checking
/// `/health` while a server starts, or what a route answers while the database is down.
///
/// Deliberately tiny and independent of the load tool, so a bug in the load tool cannot hide in the checks
/// that verify it.
public enum LocalHTTP {
    public struct Response: Sendable {
        public var status: Int
        public var body: String
        /// The response's header lines, lower-cased names (`x-instance: a`).
        public var headers: [String: String] = [:]
    }

    /// Sends `GET path` to 127.0.0.1:`port`; nil when nothing answers (refused, timeout, not HTTP).
    /// - Parameter sourceAddress: the loopback address to send from (`127.0.5.1`), as a different user's
    ///   machine would; default: the system's choice (127.0.0.1).
    public static func get(port: Int, path: String, timeoutSeconds: Int = 15, sourceAddress: String? = nil) -> Response? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let sourceAddress {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(sourceAddress)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { return nil }
        }
        guard self.connect(fd, port: port) else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
        guard text.hasPrefix("HTTP/1."), let status = Int(text.dropFirst(9).prefix(3)) else { return nil }
        guard let split = text.range(of: "\r\n\r\n") else { return Response(status: status, body: "") }
        let head = text[..<split.lowerBound].lowercased()
        let body = String(text[split.upperBound...])
        var headers: [String: String] = [:]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        // Prometheus answers larger query results in chunks.
        return Response(status: status, body: head.contains("transfer-encoding: chunked") ? Self.dechunk(body) : body, headers: headers)
    }

    /// The body of a `Transfer-Encoding: chunked` response: "<hex size>\r\n<data>\r\n" ... "0\r\n\r\n".
    static func dechunk(_ body: String) -> String {
        var bytes = Substring(body).utf8[...]
        var result: [UInt8] = []
        while let lineEnd = bytes.firstRange(of: "\r\n".utf8) {
            let sizeText = String(decoding: bytes[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard let end = bytes.index(start, offsetBy: size, limitedBy: bytes.endIndex) else { break }
            result += bytes[start..<end]
            bytes = bytes[end...].dropFirst(2)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// ``get(port:path:timeoutSeconds:sourceAddress:)`` for async code, which Swift picks there (with
    /// `await`): the blocking socket calls (a GET may wait up to its timeout) run on a thread of their own
    /// (``onThreadOfItsOwn(_:)``).
    public static func get(port: Int, path: String, timeoutSeconds: Int = 15, sourceAddress: String? = nil) async -> Response? {
        await onThreadOfItsOwn { () -> Response? in
            Self.get(port: port, path: path, timeoutSeconds: timeoutSeconds, sourceAddress: sourceAddress)
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return self.connect(fd, port: port)
    }

    static func connect(_ fd: Int32, port: Int) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #else
                Darwin.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #endif
            }
        }
        return result == 0
    }
}
