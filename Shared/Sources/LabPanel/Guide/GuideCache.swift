import Foundation
import Synchronization

/// Rendered guides, kept until their file changes (its modification time or size): a guide is read far more
/// often than it is edited, and the page the panel sends then costs a `stat` instead of a Markdown render.
final class GuideCache: Sendable {
    private struct Stamp: Equatable {
        var modified: Date
        var size: Int
    }

    private let entries = Mutex<[String: (stamp: Stamp, guide: GuideRenderer.Guide)]>([:])
    private let renderer = GuideRenderer()

    /// The guide at `url` (`path` inside the repository), rendered once per version of the file; nil when it
    /// cannot be read.
    func guide(at url: URL, path: String) -> GuideRenderer.Guide? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
            let modified = attributes[.modificationDate] as? Date, let size = (attributes[.size] as? NSNumber)?.intValue
        else { return nil }
        let stamp = Stamp(modified: modified, size: size)
        if let cached = self.entries.withLock({ $0[path] }), cached.stamp == stamp { return cached.guide }
        guard let markdown = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let guide = self.renderer.render(markdown: markdown, path: path)
        self.entries.withLock { $0[path] = (stamp, guide) }
        return guide
    }
}
