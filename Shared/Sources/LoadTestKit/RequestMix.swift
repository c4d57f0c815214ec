import NIOHTTP1

/// The plan's request templates turned into ready-made request heads, and a weighted picker over them.
///
/// Rendering happens once before the test (up to ``variantsPerTemplate`` parameter combinations per
/// template), so the hot path only picks a prepared head.
struct RequestMix: Sendable {
    static let variantsPerTemplate = 4096
    let heads: [[HTTPRequestHead]]
    /// Running sum of the weights, for picking a template in proportion to its weight.
    let cumulativeWeights: [Int]

    init(plan: LoadPlan, host: String) {
        var rng = SplitMix64(seed: plan.seed ^ 0x5EED)
        var heads: [[HTTPRequestHead]] = []
        for template in plan.requests {
            let count = template.placeholderNames.isEmpty ? 1 : Self.variantsPerTemplate
            var variants: [HTTPRequestHead] = []
            for _ in 0..<count {
                let path = template.render { name in
                    let values = plan.parameters[name] ?? [""]
                    return values[Int(rng.next() % UInt64(values.count))]
                }
                var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: template.method), uri: path)
                head.headers.add(name: "Host", value: host)
                head.headers.add(name: "User-Agent", value: "lab-loadtest")
                variants.append(head)
            }
            heads.append(variants)
        }
        self.heads = heads
        var sum = 0
        self.cumulativeWeights = plan.requests.map { sum += $0.weight; return sum }
    }

    func pick(using rng: inout SplitMix64) -> (endpoint: Int, head: HTTPRequestHead) {
        let roll = Int(rng.next() % UInt64(self.cumulativeWeights.last!))
        let endpoint = self.cumulativeWeights.firstIndex { roll < $0 }!
        let variants = self.heads[endpoint]
        return (endpoint, variants[Int(rng.next() % UInt64(variants.count))])
    }
}
