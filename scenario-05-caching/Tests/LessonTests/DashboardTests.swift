import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// Every Grafana panel a learner of this scenario sees has numbers after a real load test
    /// (``DashboardCheck``: real Prometheus, real servers and Redis with its exporter, no Grafana needed).
    @Test("every dashboard panel shows data after a real load test (naive, then fixed)")
    func everyPanelShowsData() async throws {
        let lesson = try Lesson(scenarioNumber: "05", file: #filePath)
        try await lesson.prepare()
        try await Self.emptyCache()
        let results = try await DashboardCheck(lesson).run()
        for result in results {
            #expect(result.hasData, "\(result.dashboard): panel \"\(result.panel)\" shows No data: \(result.query)")
        }
        #expect(results.contains { $0.query.contains("cache_requests_total") && $0.hasData }, "the hit ratio panel")
        #expect(results.contains { $0.query.contains("redis_memory_used_bytes") && $0.hasData }, "Redis memory")
        print("DASHBOARDS: \(results.filter(\.hasData).count) of \(results.count) panel queries returned data from Prometheus")
    }
}
