import Foundation
import Hummingbird
import LabServer
import PostgresNIO

/// `GET /parcels/{code}`: the parcel, where it is handled and its latest scans.
struct ParcelPage: ResponseEncodable {
    var code: String
    var recipient: String
    var depot: Depot
    var latestScans: [Scan]

    struct Depot: ResponseEncodable {
        var id: Int
        var city: String
        /// Scans at this depot in the 24 hours before the parcel's latest one: how busy it is.
        var scansLastDay: Int
    }

    /// Three queries on one connection: the parcel with its depot, its 10 latest scans, its depot's last day.
    static func load(_ code: String, on connection: PostgresConnection) async throws -> ParcelPage {
        guard code.count <= 20 else { throw HTTPError(.notFound, message: "no parcel \(code)") }
        let parcels = try await connection.query(
            named: "parcel",
            "SELECT p.id, p.code, p.recipient, d.id, d.city FROM parcels p JOIN depots d ON d.id = p.depot_id WHERE p.code = \(code)"
        )
        guard let parcel = parcels.first else { throw HTTPError(.notFound, message: "no parcel \(code)") }
        let (parcelID, parcelCode, recipient, depotID, city) = try parcel.decode((Int, String, String, Int, String).self)
        let scans = try await connection.query(
            named: "parcel_scans",
            "SELECT id, depot_id, note, scanned_at FROM scans WHERE parcel_id = \(parcelID) ORDER BY scanned_at DESC LIMIT 10"
        ).map(Scan.init)
        let busy = try await connection.query(
            named: "depot_last_day",
            """
            SELECT count(*) FROM scans
            WHERE depot_id = \(depotID) AND scanned_at BETWEEN \(scans.first?.scannedAt ?? Date()) - interval '1 day' AND \(scans.first?.scannedAt ?? Date())
            """
        )
        return ParcelPage(
            code: parcelCode,
            recipient: recipient,
            depot: Depot(id: depotID, city: city, scansLastDay: try busy.first!.decode(Int.self)),
            latestScans: scans
        )
    }
}

/// One scan of a parcel by a courier.
struct Scan: ResponseEncodable {
    var id: Int
    var depotId: Int
    var note: String
    var scannedAt: Date

    /// Columns: id, depot_id, note, scanned_at.
    init(_ row: PostgresRow) throws {
        (self.id, self.depotId, self.note, self.scannedAt) = try row.decode((Int, Int, String, Date).self)
    }

    /// Saves a scan of the parcel `code`, now.
    static func insert(_ scan: NewScan, parcel code: String, on connection: PostgresConnection) async throws -> Scan {
        let rows = try await connection.query(
            named: "new_scan",
            """
            INSERT INTO scans (parcel_id, depot_id, note, scanned_at)
            SELECT p.id, d.id, \(scan.note), now() FROM parcels p, depots d WHERE p.code = \(code) AND d.id = \(scan.depotId)
            RETURNING id, depot_id, note, scanned_at
            """
        )
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no parcel \(code) (or no depot \(scan.depotId))") }
        return try Scan(row)
    }
}

/// `POST /parcels/{code}/scans` body: `{"depotId": 7, "note": "sorted"}`.
struct NewScan: Decodable {
    var depotId: Int
    var note: String

    /// A depot that exists and a note of 1 to 200 characters, without NUL (PostgreSQL refuses it in text).
    func validated() throws -> NewScan {
        guard (1...40).contains(self.depotId) else { throw HTTPError(.badRequest, message: "depotId must be between 1 and 40") }
        guard (1...200).contains(self.note.count), !self.note.contains("\u{0}") else {
            throw HTTPError(.badRequest, message: "note must be 1 to 200 characters, without NUL")
        }
        return self
    }
}
