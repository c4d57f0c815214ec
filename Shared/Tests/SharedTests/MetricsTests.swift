import Testing

@Suite("Metrics middleware and /metrics exposition", .serialized)
struct MetricsTests {
    @Test("thrown errors are counted and timed with the status they become")
    func thrownErrorsAreCountedAndTimed() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        #expect(try server.get("/metrics-test").status == 200)
        #expect(try server.get("/boom").status == 500)
        #expect(try server.get("/teapot").status == 400)
        #expect(try server.get("/no/such/route").status == 404)
        let metrics = try server.get("/metrics")
        #expect(metrics.status == 200)
        let text = metrics.body
        #expect(text.contains(#"http_requests_total{route="/boom",method="GET",status="500"} 1"#))
        #expect(text.contains(#"http_request_duration_seconds_count{route="/boom",method="GET",status="500"} 1"#))
        #expect(text.contains(#"http_requests_total{route="/teapot",method="GET",status="400"} 1"#))
        // Unmatched paths share one label value (Hummingbird names it NotFound), never one series per path.
        #expect(text.contains(#"route="NotFound",method="GET",status="404"}"#))
        #expect(!text.contains("no/such/route"))
        #expect(text.contains(#"http_requests_total{route="/metrics-test",method="GET",status="200"} 1"#))
        // Buckets from 1 ms to 10 s.
        #expect(text.contains(#"http_request_duration_seconds_bucket{route="/metrics-test",method="GET",status="200",le="0.001"}"#))
        #expect(text.contains(#"http_request_duration_seconds_bucket{route="/metrics-test",method="GET",status="200",le="10.0"}"#))
        #expect(text.contains("# TYPE http_requests_in_flight gauge"))
        // Scrapes of /metrics are not traffic.
        #expect(!text.contains(#"route="/metrics""#))
    }

    @Test("process metrics use the conventional names and plausible values")
    func processMetrics() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let text = try server.get("/metrics").body
        func value(_ name: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect(text.contains("# TYPE process_cpu_seconds_total counter"))
        #expect((value("process_cpu_seconds_total") ?? -1) >= 0)
        #expect((value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((value("process_open_fds") ?? 0) >= 3)
        #expect((value("process_max_fds") ?? 0) >= (value("process_open_fds") ?? 1))
        let start = value("process_start_time_seconds") ?? 0
        #expect(start > 1_600_000_000)
    }
}
