import Foundation
import LabKit
import LabTesting
import Testing

/// The lesson tests scale the targets by this reading (LabTesting's MachineSpeed): it must measure both halves
/// and stay within its bounds, and its log line is how a CI run says how slow its machine was.
@Suite("Machine speed, for the lesson tests' targets (needs PostgreSQL)")
struct MachineSpeedTests {
    @Test("the reading measures Swift and PostgreSQL work and keeps the slowness between 1 and its largest")
    func reading() async throws {
        let paths = try LabPaths.discover(from: URL(fileURLWithPath: #filePath).deletingLastPathComponent())
        let database = LabDatabase(paths: paths)
        try await database.startServer()
        let reading = await MachineSpeed.measure(database: database)
        print(reading)
        #expect(reading.swiftSeconds > 0 && reading.swiftSeconds < 10)
        let trips = try #require(reading.roundTripsPerSecond, "the round trips were not measured")
        #expect(trips > 10)
        #expect(reading.slowness >= 1 && reading.slowness <= MachineSpeed.largest)
    }
}
