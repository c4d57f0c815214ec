import Foundation
import HTTPTypes
import HummingbirdTesting
import LabKit
import LabPanel
import LoadTestKit
import NIOCore
import Testing

@Suite("Panel safety: CSRF, nothing outside the repository")
struct SafetyTests {
    @Test("a POST without the CSRF token, or with a wrong one, is refused and changes nothing; with it (header or form field) it works")
    func csrf() async throws {
        var progress = LearnerProgress()
        progress.scenarios["05"] = .init()
        progress.scenarios["05"]!.checks = 1
        progress.scenarios["05"]!.lastFindings = ["same-work-again"]
        let harness = try await PanelHarness(progress: progress)
        try await harness.test { client in
            try await client.execute(
                uri: "/scenarios/05/hints",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: form("problem=same-work-again")
            ) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(
                uri: "/scenarios/05/hints",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: form("csrf=wrong&problem=same-work-again")
            ) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/scenarios/05/give-up", method: .post, body: form("")) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/scenarios/05/runs", method: .post, body: form("kind=check")) { response in
                #expect(response.status == .forbidden)
            }
            #expect(harness.entry("05").hintsShown == nil)
            #expect(harness.entry("05").gaveUp == nil)
            #expect(try await client.execute(uri: "/scenarios/05/status.json", method: .get).text.contains("\"run\"") == false)
            // The token in a plain form's field.
            try await client.execute(
                uri: "/scenarios/05/hints",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: form("csrf=\(harness.token)&problem=same-work-again")
            ) { response in
                #expect(response.status == .seeOther)
            }
            #expect(harness.entry("05").hintsShown == ["same-work-again": 1])
            // And in the script's header.
            try await client.execute(uri: "/scenarios/05/hints", method: .post, headers: harness.headers, body: form("problem=same-work-again")) {
                response in
                #expect(response.status == .ok)
                #expect(response.text.contains("Hint 2 of 3"))
            }
        }
    }

    @Test("the repository's files are served; nothing outside it, nor its private state, build folders or git files")
    func pathTraversal() async throws {
        let harness = try await PanelHarness()
        let root = PanelHarness.repository.root
        // A symbolic link inside the repository that points out of it.
        let link = root.appendingPathComponent("scenario-01-single-server/panel-test-link.txt")
        try? FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/etc/hostname")
        defer { try? FileManager.default.removeItem(at: link) }
        try await harness.test { client in
            for allowed in ["/repo/README.md", "/repo/scenario-01-single-server/lab.json", "/repo/Shared/Panel/tiers.json"] {
                try await client.execute(uri: allowed, method: .get) { #expect($0.status == .ok, "\(allowed)") }
            }
            // A scenario's guide is its scenario page.
            try await client.execute(uri: "/repo/scenario-01-single-server/SCENARIO.md", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/scenarios/01")
            }
            for refused in [
                "/repo/../etc/passwd", "/repo/%2e%2e/%2e%2e/etc/passwd", "/repo/scenario-01-single-server/../../etc/passwd",
                "/repo/.lab/progress.json", "/repo/.git/config", "/repo/.build-lab/release/lab", "/repo//etc/passwd",
                "/repo/scenario-01-single-server/panel-test-link.txt", "/repo/Shared", "/repo/lab", "/static/../../README.md",
                "/static/tiers.json", "/scenarios/..%2f..%2fetc", "/scenarios/99",
            ] {
                try await client.execute(uri: refused, method: .get) { response in
                    #expect(response.status == .notFound, "\(refused) answered \(response.status)")
                    #expect(!response.text.contains("root:"), "\(refused)")
                }
            }
        }
    }

    @Test("every response tells the browser to run only the panel's own scripts")
    func headers() async throws {
        let harness = try await PanelHarness()
        try await harness.test { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
        }
    }
}
