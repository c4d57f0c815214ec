import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// Every Grafana panel a learner of this scenario sees has numbers after a real load test (``DashboardCheck``:
    /// real Prometheus, the real server, the primary and the replica with their exporters, no Grafana needed).
    @Test("every dashboard panel shows data after a real load test (naive, then fixed)")
    func everyPanelShowsData() async throws {
        let lesson = try Lesson(scenarioNumber: "07", file: #filePath)
        try await lesson.prepare()
        try await Self.waitUntilCaughtUp(lesson)
        let results = try await DashboardCheck(lesson).run()
        for result in results {
            #expect(result.hasData, "\(result.dashboard): panel \"\(result.panel)\" shows No data: \(result.query)")
        }
        #expect(results.contains { $0.query.contains("pg_replication_replay_lag") && $0.hasData }, "the replication lag panel")
        print("DASHBOARDS: \(results.filter(\.hasData).count) of \(results.count) panel queries returned data from Prometheus")
    }
}
