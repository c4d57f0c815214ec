import LabKit
import Testing

/// How the lab reads Redis's `INFO` (what `./lab check 05` observes).
@Suite("Redis INFO fields")
struct RedisInfoTests {
    @Test("fields are name → value; an error count is its number, so one kind of error can be counted")
    func errorCounts() {
        let text = """
            # Stats\r
            total_error_replies:9\r
            evicted_keys:15813\r
            # Errorstats\r
            errorstat_NOSCRIPT:count=7\r
            errorstat_OOM:count=2\r
            """
        let fields = RedisService.fields(ofInfo: text)
        #expect(fields["total_error_replies"] == "9")
        #expect(fields["evicted_keys"] == "15813")
        // A fresh Redis answers each script's first EVALSHA with NOSCRIPT: no fault, and not a full cache.
        #expect(fields["errorstat_NOSCRIPT"] == "7")
        #expect(fields["errorstat_OOM"] == "2")
        #expect(fields["# Stats"] == nil)
    }
}
