import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LabKit
import LabPanel
import LoadTestKit
import NIOCore

/// A panel over the real repository (its guides, templates and scenarios), with a progress file of its own and,
/// for runs, a stand-in `lab` executable: route tests never touch the learner's progress or start a real load.
struct PanelHarness {
    let panel: Panel
    let progress: ProgressStore
    let folder: URL
    var token: String { self.panel.configuration.csrfToken }

    static let repository: LabPaths = {
        // Tests/PanelTests/PanelHarness.swift → the repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return LabPaths(root: root)
    }()

    /// - Parameter fakeLab: the shell script standing in for `lab` (gets `check NN --summary-json FILE` or
    ///   `load NN --json FILE`).
    init(fakeLab: String = "#!/bin/sh\necho \"fake lab $*\"\n", progress: LearnerProgress = LearnerProgress()) async throws {
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("panel-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        let lab = self.folder.appendingPathComponent("lab")
        try fakeLab.write(to: lab, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: lab.path)
        self.progress = ProgressStore(file: self.folder.appendingPathComponent("progress.json"))
        try self.progress.save(progress)
        let paths = Self.repository
        let configuration = PanelConfiguration(
            paths: paths,
            labExecutable: lab.path,
            serverState: { _ in nil },
            csrfToken: "test-token-\(UUID().uuidString)",
            progress: self.progress,
            runsFolder: self.folder
        )
        self.panel = try await Panel(configuration: configuration)
    }

    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: self.panel.router())
        return try await app.test(.router) { client in try await body(client) }
    }

    var headers: HTTPFields { [HTTPField.Name("X-CSRF-Token")!: self.token, .contentType: "application/x-www-form-urlencoded"] }

    func entry(_ number: String) -> LearnerProgress.Scenario {
        self.progress.load().progress.scenarios[number] ?? LearnerProgress.Scenario()
    }
}

extension TestResponse {
    var text: String { String(buffer: self.body) }
}

func form(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
