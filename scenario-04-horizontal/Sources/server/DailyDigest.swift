import Foundation
import LabServer
import Logging
import Metrics
import ServiceLifecycle

/// The daily digest: once a day, every member who asked for it gets an email with the new recipes.
///
/// A job that runs inside the server: a service of the application, like the database pool, that wakes up
/// at the start of each day and sends the emails (here: one row per email in `digest_emails`). In this lab a
/// day lasts 5 seconds, so you can watch it happen; a real site would wait 24 hours.
struct DailyDigest: Service {
    static let day = Duration.seconds(5)
    let database: DatabasePool
    let instance: String
    let logger: Logger

    func run() async throws {
        while true {
            // Sleep until the next day starts (on the clock, like a cron job: "every day at 07:00").
            let (today, secondsLeft) = DailyDigest.today()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(secondsLeft)) }
            } catch {
                return  // the server is shutting down
            }
            try? await self.send(day: today + 1)
        }
    }

    /// Sends day `day`'s digest to every member who wants it.
    func send(day: Int) async throws {
        let rows = try await self.database.withConnection { connection in
            try await connection.query(
                named: "send_digest",
                """
                WITH sent AS (
                    INSERT INTO digest_emails (day, member_id, subject, sent_by)
                    SELECT \(day), id, 'Potluck: the new recipes of the day', \(self.instance) FROM members WHERE wants_digest
                    RETURNING 1
                )
                SELECT count(*) FROM sent
                """
            )
        }
        let sent = try rows.first?.decode(Int.self) ?? 0
        Counter(label: "digest_emails_sent_total").increment(by: sent)
        self.logger.info("daily digest of day \(day): \(sent) emails sent")
    }

    /// The number of today (days since 1970, a day being ``day`` long) and the seconds until tomorrow.
    static func today() -> (day: Int, secondsLeft: Double) {
        let length = Double(Self.day.components.seconds)
        let now = Date().timeIntervalSince1970
        let today = Int(now / length)
        return (today, Double(today + 1) * length - now)
    }
}
