import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// Every Grafana panel a learner of this scenario sees has numbers after a real load test
    /// (``DashboardCheck``: real Prometheus, real servers, no Grafana needed).
    @Test("every dashboard panel shows data after a real load test (naive, then fixed)")
    func everyPanelShowsData() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        let results = try await DashboardCheck(lesson).run()
        try await Self.cleanUp(lesson)
        for result in results {
            #expect(result.hasData, "\(result.dashboard): panel \"\(result.panel)\" shows No data: \(result.query)")
        }
        #expect(results.count >= 20)
        print("DASHBOARDS: \(results.filter(\.hasData).count) of \(results.count) panel queries returned data from Prometheus")
    }
}
