import Foundation
import Mustache

/// The panel's templates (`Shared/Panel/templates/*.mustache`), loaded once at start-up, and the one layout every
/// page shares. Templates escape every value (`{{value}}`); only HTML the panel built itself (the rendered guide,
/// fragments) goes in unescaped (`{{{html}}}`).
public struct PanelPages: Sendable {
    let library: MustacheLibrary

    public init(folder: URL) async throws {
        do {
            self.library = try await MustacheLibrary(directory: folder.path)
        } catch {
            throw PanelError("the panel's templates in \(folder.path) cannot be read: \(error)")
        }
        for name in ["page", "track", "scenario", "result", "hints", "reveal", "reference", "document", "message"]
        where self.library.getTemplate(named: name) == nil {
            throw PanelError("the panel's template \(name).mustache is missing from \(folder.path)")
        }
    }

    /// A fragment (no layout): `result`, `hints`.
    public func fragment(_ name: String, _ object: Any) -> String {
        self.library.render(object, withTemplate: name) ?? ""
    }

    /// A whole page: `name`'s content inside the layout.
    public func page(_ name: String, title: String, csrf: String, _ object: Any) -> String {
        let body = self.fragment(name, object)
        let layout: [String: Any] = ["title": title, "csrf": csrf, "body": body]
        return self.library.render(layout, withTemplate: "page") ?? body
    }
}
