import Hummingbird

/// The image types an avatar may have, and the checks that keep an uploaded file from being anything else.
///
/// An avatar is shown on pages of this site, so a file that is really a web page with a script (an SVG can
/// carry `<script>`) would run with the site's cookies: whoever uploads it could act as anyone who looks at
/// it. So an upload is refused unless its bytes are what its type says, and it is served with headers that
/// forbid the browser from running or reinterpreting it.
enum AvatarType: String, CaseIterable, Sendable {
    case svg = "image/svg+xml"
    case png = "image/png"

    /// The type named by an upload's `Content-Type` (`image/png; charset=...` is fine); 415 for anything
    /// else, including no header or an empty one.
    init(_ contentType: String?) throws {
        let mediaType = contentType?.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let mediaType, let type = Self(rawValue: mediaType) else {
            throw HTTPError(.unsupportedMediaType, message: "an avatar must be image/svg+xml or image/png (got \(contentType ?? "nothing"))")
        }
        self = type
    }

    var fileExtension: String { self == .svg ? "svg" : "png" }

    /// `image` if its bytes really are this type: a PNG's signature, or an SVG drawing with no script and no
    /// link to anything; 415 otherwise.
    func checked(_ image: ByteBuffer) throws -> ByteBuffer {
        let bytes = Array(image.readableBytesView)
        switch self {
        case .png:
            guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
                throw HTTPError(.unsupportedMediaType, message: "this is not a PNG image")
            }
        case .svg:
            guard let text = String(validating: bytes, as: UTF8.self), let problem = Self.svgProblem(text.lowercased()) else { break }
            throw HTTPError(.unsupportedMediaType, message: "this SVG cannot be an avatar: \(problem)")
        }
        return image
    }

    /// Headers to serve an avatar with: its type; `nosniff`, so the browser never guesses another type; and a
    /// content security policy that forbids scripts and outside content even when the file is opened alone.
    var servingHeaders: HTTPFields {
        [
            .contentType: self.rawValue,
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ]
    }

    /// The elements a drawing needs; anything else (script, foreignObject, iframe, use, image...) is refused.
    private static let svgElements: Set<String> = [
        "svg", "g", "title", "desc", "circle", "ellipse", "rect", "line", "polyline", "polygon", "path", "text", "tspan",
        "defs", "lineargradient", "radialgradient", "stop",
    ]

    /// What makes `svg` (lowercased) unsafe to serve, or nil when it is a plain drawing.
    private static func svgProblem(_ svg: String) -> String? {
        guard svg.drop(while: \.isWhitespace).hasPrefix("<svg") else { return "it must start with <svg" }
        if svg.contains("<!") || svg.contains("<?") { return "no DOCTYPE, entities or processing instructions" }
        if svg.contains("javascript:") || svg.contains("data:") || svg.contains("href") { return "no links" }
        var rest = Substring(svg)
        while let open = rest.firstIndex(of: "<") {
            rest = rest[rest.index(after: open)...].drop { $0 == "/" }
            let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == ":" || $0 == "-" })
            guard Self.svgElements.contains(name) else { return "no <\(name)> element" }
            let tag = rest.prefix { $0 != ">" }
            // Event handlers (onload=, onclick=...) are attributes starting with "on".
            if tag.split(whereSeparator: { $0.isWhitespace }).dropFirst().contains(where: { $0.hasPrefix("on") }) {
                return "no event handlers (on...=)"
            }
            rest = rest.dropFirst(tag.count)
        }
        return nil
    }
}
