import NIOCore

/// The plan's request templates turned into ready-made request heads, and a weighted picker over them.
///
/// Rendering and encoding happen once before the test (up to ``variantsPerTemplate`` parameter combinations
/// per template), so the hot path only picks a ready-made buffer: writing it costs a reference count.
struct RequestMix: Sendable {
    static let variantsPerTemplate = 4096
    let requests: [[ByteBuffer]]
    /// Running sum of the weights, for picking a template in proportion to its weight.
    let cumulativeWeights: [Int]

    init(plan: LoadPlan, host: String) {
        var rng = SplitMix64(seed: plan.seed ^ 0x5EED)
        var requests: [[ByteBuffer]] = []
        for template in plan.requests {
            let count = template.placeholderNames.isEmpty ? 1 : Self.variantsPerTemplate
            var variants: [ByteBuffer] = []
            for _ in 0..<count {
                let value = { (name: String) -> String in
                    let values = plan.parameters[name] ?? [""]
                    return values[Int(rng.next() % UInt64(values.count))]
                }
                let body = template.renderBody(value).map { (text: $0, contentType: "application/json") }
                variants.append(Self.encode(method: template.method, path: template.render(value), host: host, body: body))
            }
            requests.append(variants)
        }
        self.requests = requests
        var sum = 0
        self.cumulativeWeights = plan.requests.map {
            sum += $0.weight
            return sum
        }
    }

    /// One HTTP/1.1 request as bytes on the wire.
    /// - Parameter cookie: the `Cookie` header's value, if any (journeys carry their session this way).
    static func encode(method: String, path: String, host: String, cookie: String? = nil, body: (text: String, contentType: String)?) -> ByteBuffer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: lab-loadtest\r\n"
        if let cookie { head += "Cookie: \(cookie)\r\n" }
        if let body {
            head += "Content-Type: \(body.contentType)\r\nContent-Length: \(body.text.utf8.count)\r\n\r\n" + body.text
        } else {
            head += "\r\n"
        }
        return ByteBuffer(string: head)
    }

    func pick(using rng: inout SplitMix64) -> (endpoint: Int, request: ByteBuffer) {
        let roll = Int(rng.next() % UInt64(self.cumulativeWeights.last!))
        let endpoint = self.cumulativeWeights.firstIndex { roll < $0 }!
        let variants = self.requests[endpoint]
        return (endpoint, variants[Int(rng.next() % UInt64(variants.count))])
    }
}
