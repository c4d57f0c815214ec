import Foundation
import LabKit
import Testing

extension LessonTests {
    /// What a learner sees in Grafana, proven without Grafana: a real Prometheus (the native one, same
    /// scrape config as Docker Compose) scrapes the real servers during a real load, then every query of
    /// every panel on the overview and on this scenario's dashboard is asked for the same window Grafana
    /// would draw. A query with no number at all is a panel showing "No data", and fails the test.
    @Test("every dashboard panel shows data after a real load test (naive, then fixed)")
    func everyPanelShowsData() async throws {
        let lesson = try Lesson(scenarioNumber: "01", file: #filePath)
        try await lesson.prepare()
        let observability = Observability(paths: lesson.paths)
        let wasRunning = observability.prometheus.running() != nil
        _ = try await observability.start(required: true)
        do {
            try await self.checkPanels(lesson)
        } catch {
            if !wasRunning { _ = await observability.stop() }
            throw error
        }
        if !wasRunning { _ = await observability.stop() }
    }

    func checkPanels(_ lesson: Lesson) async throws {
        let start = Date()
        // The learner's story in short: the naive server under load, then the fixed one. Some panels only
        // have numbers for one of them (the pool's wait time needs a pool), as in Grafana.
        _ = try await lesson.measure("server", label: "dashboard traffic: naive", seconds: 10)
        _ = try await lesson.measure("server-fixed", label: "dashboard traffic: fixed", seconds: 10)
        try await Task.sleep(for: .seconds(6))  // one more scrape after the last request

        let prometheus = PrometheusAPI()
        var checked = 0
        for dashboard in try GrafanaDashboard.forScenario(lesson.scenario, in: lesson.paths) {
            for panel in dashboard.queryPanels {
                for target in panel.targets ?? [] {
                    let query = GrafanaDashboard.prometheusQuery(target.expr ?? "")
                    let series = try prometheus.queryRange(query, start: start, end: Date())
                    let numbers = series.flatMap(\.values).filter { !$0.isNaN }
                    #expect(
                        !numbers.isEmpty,
                        "\(dashboard.url.lastPathComponent): panel \"\(panel.title ?? "?")\" query \(target.refId ?? "?") shows No data: \(query)"
                    )
                    checked += 1
                }
            }
        }
        #expect(checked >= 20)
        print("DASHBOARDS: \(checked) panel queries returned data from Prometheus")
    }
}
