import Foundation
import LabServer
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// The daily digest: once a day, every member who asked for it gets an email with the new recipes.
///
/// A job that runs inside the server, waking up at the start of each day. In this lab a day lasts 5
/// seconds, so you can watch it happen; a real site would wait 24 hours.
///
/// FIX 5 - every instance still wakes up, but only one sends the day's digest: the one that claims the day.
///   Before, every instance ran the job at the same moment, so every member got the digest once per
///   instance: twice with two servers, three times with three.
///   Claiming is one INSERT into `job_runs`, whose primary key (job, day) allows one row per job and day.
///   The first instance's INSERT succeeds and it sends the emails; the others' INSERT finds the row and
///   does nothing (ON CONFLICT DO NOTHING), so they skip the day. The claim and the emails are in one
///   transaction: if sending fails, the claim is undone too and another instance may take the day.
///   (A PostgreSQL advisory lock alone is not enough: it stops two instances sending AT THE SAME TIME, but
///   the second one would take the lock a moment later and send the digest again.)
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

    /// Sends day `day`'s digest to every member who wants it, unless another instance already claimed the day.
    func send(day: Int) async throws {
        let logger = self.logger
        let sent: Int? = try await self.database.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection -> Int? in
                let claim = try await connection.query(
                    named: "claim_digest",
                    "INSERT INTO job_runs (job, day, ran_by) VALUES ('daily-digest', \(day), \(self.instance)) ON CONFLICT DO NOTHING RETURNING day"
                )
                guard !claim.isEmpty else { return nil }  // another instance has this day
                let rows = try await connection.query(
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
                return try rows.first?.decode(Int.self) ?? 0
            }
        }
        guard let sent else {
            self.logger.debug("daily digest of day \(day): another instance sends it")
            return
        }
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
