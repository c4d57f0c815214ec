import Foundation
import LabKit

/// Asks a Prometheus server what a dashboard panel would draw: its HTTP API's `query_range`, the request
/// Grafana sends for a graph.
public struct PrometheusAPI: Sendable {
    public let port: Int

    public init(port: Int = Observability.prometheusPort) {
        self.port = port
    }

    /// One line of a graph: its labels and the values at each step (NaN where the query had no number).
    public struct Series: Sendable {
        public var labels: [String: String]
        public var values: [Double]
    }

    /// Runs `query` from `start` to `end` every `step` seconds.
    /// - Throws: ``LabError`` with Prometheus's message for an invalid query or when Prometheus does not answer.
    public func queryRange(_ query: String, start: Date, end: Date, step: Int = 5) throws -> [Series] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
        let path =
            "/api/v1/query_range?query=\(encoded)&start=\(Int(start.timeIntervalSince1970))&end=\(Int(end.timeIntervalSince1970.rounded(.up)))&step=\(step)"
        guard let response = LocalHTTP.get(port: self.port, path: path) else {
            throw LabError("Prometheus does not answer on 127.0.0.1:\(self.port)")
        }
        struct Answer: Decodable {
            struct Result: Decodable {
                var metric: [String: String]
                var values: [[StringOrNumber]]
            }
            struct Data: Decodable { var result: [Result] }
            var status: String
            var data: Data?
            var error: String?
        }
        let answer: Answer
        do {
            answer = try JSONDecoder().decode(Answer.self, from: Data(response.body.utf8))
        } catch {
            throw LabError("unexpected answer from Prometheus (HTTP \(response.status)): \(response.body.prefix(300))")
        }
        guard answer.status == "success", let data = answer.data else {
            throw LabError("Prometheus rejected the query \(query): \(answer.error ?? response.body)")
        }
        // Each value is [<unix time as a number>, "<value as a string>"].
        return data.result.map { result in
            Series(labels: result.metric, values: result.values.compactMap { $0.last?.text }.map { Double($0) ?? .nan })
        }
    }

    /// A JSON value that is a number or a string (Prometheus mixes them in one array).
    struct StringOrNumber: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                self.text = string
            } else {
                self.text = String(try container.decode(Double.self))
            }
        }
    }
}
