import Foundation
import HTTPTypes
import Hummingbird
import LabKit

/// The repository's files the guides link to (diagrams, other guides, source files), and the panel's own
/// stylesheet and script.
extension Panel {
    func addFileRoutes(to router: Router<BasicRequestContext>) {
        router.get("/repo/**") { _, context in
            let relative = context.parameters.getCatchAll().joined(separator: "/")
            guard let file = self.files.resolve(relative.removingPercentEncoding ?? relative) else {
                return self.message(
                    "Not here",
                    "The panel serves the repository's guides, diagrams and source files, and nothing outside it.",
                    status: .notFound,
                    link: ("/", "Back to the track")
                )
            }
            // A scenario's guide opens as its scenario page, with the live panel beside it.
            let parts = file.path.split(separator: "/")
            if parts.count == 2, parts[1] == "SCENARIO.md", let scenario = self.scenarios().first(where: { $0.folderName == parts[0] }) {
                return self.redirect("/scenarios/\(scenario.number)")
            }
            switch file.kind {
            case .markdown:
                let guide = self.guides.guide(at: file.url, path: file.path) ?? GuideRenderer().render(markdown: "", path: file.path)
                let view = DocumentView(path: file.path, html: guide.html)
                return self.html(self.pages.page("document", title: guide.title, csrf: self.configuration.csrfToken, view))
            case .svg, .png, .text:
                let data = try Data(contentsOf: file.url)
                let type =
                    switch file.kind {
                    case .svg: "image/svg+xml"
                    case .png: "image/png"
                    default: "text/plain; charset=utf-8"
                    }
                var response = Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
                // An SVG opened on its own runs no script and loads nothing.
                if file.kind == .svg { response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; sandbox" }
                return response
            }
        }
        // Browsers ask for it on every page that names no icon (a raw file): an empty answer, not a 404.
        router.get("/favicon.ico") { _, _ in Response(status: .noContent) }
        router.get("/static/:file") { _, context in
            let name = context.parameters.get("file") ?? ""
            let types = ["panel.css": "text/css; charset=utf-8", "panel.js": "text/javascript; charset=utf-8"]
            guard let type = types[name],
                let data = FileManager.default.contents(atPath: self.configuration.assets.appendingPathComponent("static/\(name)").path)
            else { throw HTTPError(.notFound) }
            return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}

struct DocumentView {
    var path: String
    var html: String
}
