import Foundation

/// How much the panel helps, per tier (VISION.md's scaffolding principle), read from `Shared/Panel/tiers.json`
/// so that the rule for a tier is written once, as data, and every scenario of the tier follows it.
public struct TierRules: Codable, Sendable, Equatable {
    /// When hints are offered.
    public enum Hints: String, Codable, Sendable {
        /// Every problem of the scenario, with its hints, before any check (Crawling tells what to look for).
        case upFront
        /// Only the problems the last check observed, after a check (Walking names the category).
        case afterCheck
        /// As after a check, but folded behind an explicit "I'm stuck" click (Running: symptom only).
        case onRequest
        /// None at all (Sprinting).
        case none
    }

    public var hints: Hints
    /// One sentence the scenario page shows above the hints: what this tier gives.
    public var promise: String

    /// Tier name ("Crawling") → its rules.
    public static func load(from file: URL) throws -> [String: TierRules] {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw PanelError("the tier rules are missing: \(file.path)")
        }
        do {
            return try JSONDecoder().decode([String: TierRules].self, from: data)
        } catch {
            throw PanelError("the tier rules in \(file.path) cannot be read: \(error)")
        }
    }

    /// A tier missing from the file gets the least help rather than the most.
    public static let fallback = TierRules(hints: .none, promise: "This tier gives no hints.")
}

/// An error the panel explains in words (missing assets, bad rules).
public struct PanelError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
