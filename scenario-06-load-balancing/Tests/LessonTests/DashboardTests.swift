import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// Every Grafana panel a learner of this scenario sees has numbers after a real load test
    /// (``DashboardCheck``: real Prometheus scraping the instances and HAProxy's exporter, no Grafana needed).
    @Test("every dashboard panel shows data after a real load test (naive, then fixed)")
    func everyPanelShowsData() async throws {
        let lesson = try Lesson(scenarioNumber: "06", file: #filePath)
        try await lesson.prepare()
        let results = try await DashboardCheck(lesson).run()
        for result in results {
            #expect(result.hasData, "\(result.dashboard): panel \"\(result.panel)\" shows No data: \(result.query)")
        }
        #expect(results.contains { $0.query.contains("haproxy_server_status") && $0.hasData }, "health state by server")
        #expect(results.contains { $0.query.contains("haproxy_backend_retry_warnings_total") && $0.hasData }, "retries")
        print("DASHBOARDS: \(results.filter(\.hasData).count) of \(results.count) panel queries returned data from Prometheus")
    }
}
