import Foundation
import HTTPTypes
import HummingbirdTesting
import LabKit
import LabPanel
import LoadTestKit
import Testing

@Suite("Panel runs: one at a time, output streamed, the verdict as cards")
struct RunTests {
    /// Stands in for `lab check NN --summary-json FILE`: prints a few lines, waits for a file to exist (so the
    /// test decides when it ends), then writes a verdict.
    static let fakeCheck = #"""
        #!/bin/sh
        echo "Checking scenario $2"
        printf 'half a line'
        printf ', then the rest\n'
        while [ ! -e "$(dirname "$4")/finish" ]; do sleep 0.05; done
        cat > "$4" <<JSON
        {"scenario":"$2","program":"server","passed":false,"targetsMet":false,
         "targets":[{"label":"p99 ≤ 250 ms","measured":"4,980 ms","met":false},{"label":"success ≥ 99.9%","measured":"100.00%","met":true}],
         "findings":[{"id":"email-seq-scan","title":"Every lookup reads the whole table","message":"Seq Scan on users"}],
         "notes":[],"numbers":{"requestsPerSecond":40,"p99Milliseconds":4980,"successRate":100,"measuredAt":"2026-11-30T10:00:00Z","passed":false}}
        JSON
        echo "✗ NOT YET"
        exit 1
        """#

    @Test("a check streams its output as server-sent events, a second run is refused while it runs, and its verdict shows as cards")
    func check() async throws {
        let harness = try await PanelHarness(fakeLab: Self.fakeCheck)
        try await harness.test { client in
            let started = try await client.execute(uri: "/scenarios/01/runs", method: .post, headers: harness.headers, body: form("kind=check"))
            #expect(started.status == .accepted)
            #expect(started.text.contains("\"kind\":\"check\""))
            // A second click, of either button, while it runs.
            for kind in ["check", "load"] {
                try await client.execute(uri: "/scenarios/02/runs", method: .post, headers: harness.headers, body: form("kind=\(kind)")) { response in
                    #expect(response.status == .conflict)
                    #expect(response.text.contains("A run is in progress"))
                }
            }
            let status = try await client.execute(uri: "/scenarios/01/status.json", method: .get).text
            #expect(status.contains("\"finished\":false"))
            try FileManager.default.createDirectory(at: harness.folder, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: harness.folder.appendingPathComponent("finish").path, contents: Data())
            try await client.execute(uri: "/runs/1/events", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
                let events = response.text
                #expect(events.contains("data: Checking scenario 01\n\n"))
                #expect(events.contains("data: half a line, then the rest\n\n"), "a line written in pieces arrives whole")
                #expect(events.contains("data: ✗ NOT YET\n\n"))
                #expect(events.hasSuffix("event: done\ndata: 1\n\n"))
            }
            let result = try await client.execute(uri: "/scenarios/01/result", method: .get).text
            #expect(result.contains("✗ NOT YET"))
            #expect(result.contains("class=\"card missed\""))
            #expect(result.contains("measured 4,980 ms"))
            #expect(result.contains("class=\"card met\""))
            #expect(result.contains("Every lookup reads the whole table"))
            #expect(result.contains("Show next hint (1 of 3)"), "each problem observed offers its next hint")
            // Finished: the next run may start.
            try await client.execute(uri: "/scenarios/01/runs", method: .post, headers: harness.headers, body: form("kind=load")) {
                #expect($0.status == .accepted)
            }
            try await client.execute(uri: "/scenarios/01/runs", method: .post, headers: harness.headers, body: form("kind=rm")) { _ in }
        }
    }

    @Test("a run that stops before a verdict says so; an unknown kind is a bad request")
    func failedRun() async throws {
        let harness = try await PanelHarness(fakeLab: "#!/bin/sh\necho 'error: nothing answers on http://127.0.0.1:8080' >&2\nexit 2\n")
        try await harness.test { client in
            try await client.execute(uri: "/scenarios/01/runs", method: .post, headers: harness.headers, body: form("kind=rm -rf")) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/scenarios/01/runs", method: .post, headers: harness.headers, body: form("kind=check")) {
                #expect($0.status == .accepted)
            }
            let events = try await client.execute(uri: "/runs/1/events", method: .get).text
            #expect(events.contains("data: error: nothing answers"))
            #expect(events.hasSuffix("event: done\ndata: 2\n\n"))
            let result = try await client.execute(uri: "/scenarios/01/result", method: .get).text
            #expect(result.contains("stopped before a verdict (exit 2)"))
            try await client.execute(uri: "/runs/99/events", method: .get) { #expect($0.status == .notFound) }
        }
    }
}
