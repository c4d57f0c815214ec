import Foundation
import Ink

/// Renders a guide (SCENARIO.md, README.md) to HTML for the panel, with Ink from the package set:
/// - `##` headings become the guide's steps: each gets an id, and ``Guide/steps`` lists them for the outline;
/// - code blocks get a Copy button (the panel's script copies the block's text);
/// - relative links and images point into the repository (``RepositoryFiles``), so `diagrams/x.svg` shows
///   inline and `../README.md` opens rendered;
/// - raw HTML the guides use (`<details>`, `<summary>`) passes through, with the Markdown inside it rendered.
public struct GuideRenderer: Sendable {
    public struct Guide: Sendable {
        public var html: String
        public var title: String
        public var steps: [Step]
    }

    public struct Step: Sendable, Equatable {
        public var id: String
        public var title: String
    }

    public init() {}

    /// - Parameter path: the file's path inside the repository (`scenario-01-single-server/SCENARIO.md`), which
    ///   relative links are resolved against.
    ///
    /// Ids, steps and links are set by Ink modifiers on each fragment as it is rendered, never by searching the
    /// finished page: a 90 KB guide renders in a few milliseconds that way (the scan of the whole page per
    /// heading and per link that came first took most of 100 ms, seen with `perf`).
    public func render(markdown: String, path: String) -> Guide {
        let base = (path as NSString).deletingLastPathComponent
        let headings = HeadingIDs()
        var parser = MarkdownParser()
        parser.addModifier(
            Modifier(target: .codeBlocks) { html, _ in
                "<div class=\"code\"><button type=\"button\" class=\"copy\" aria-label=\"Copy this code\">Copy</button>\(html)</div>"
            }
        )
        parser.addModifier(Modifier(target: .headings) { html, _ in headings.identify(html) })
        parser.addModifier(Modifier(target: .links) { html, _ in Self.rewriteFirst("href", in: html, base: base) })
        parser.addModifier(Modifier(target: .images) { html, _ in Self.rewriteFirst("src", in: html, base: base) })
        let html = self.renderBlocks(Self.splitDetails(Self.normalizeForInk(markdown)), parser: parser)
        let title = Self.firstHeading(markdown) ?? (path as NSString).lastPathComponent
        return Guide(html: html, title: title, steps: headings.steps)
    }

    // MARK: - Where Ink differs from GitHub

    /// Three places where Ink differs from GitHub (CommonMark), mended before Ink reads the guide:
    /// - Ink ends a paragraph at a line that starts with a backtick, where GitHub carries on: a guide that wraps
    ///   before `` `code` `` would show a broken paragraph. Such a line is joined to the one before it, outside
    ///   code blocks and tables.
    /// - Ink only sees a code fence at the start of a line: a fenced block indented under a list item would run
    ///   on to the end of the document. Such a block (fences and lines) loses the fence's indentation.
    /// - Ink misreads a list item wrapped over several lines: it becomes one line (a soft line break is a space
    ///   in Markdown, so nothing else changes).
    static func normalizeForInk(_ markdown: String) -> String {
        var lines: [String] = []
        var fenceIndent: Int?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let indent = line.prefix { $0 == " " }.count
            let trimmed = line.dropFirst(indent)
            if trimmed.hasPrefix("```") {
                if let open = fenceIndent {
                    lines.append(String(line.dropFirst(min(open, indent))))
                    fenceIndent = nil
                } else {
                    fenceIndent = indent
                    lines.append(String(trimmed))
                }
                continue
            }
            if let open = fenceIndent {
                lines.append(String(line.dropFirst(min(open, indent))))
                continue
            }
            // A list item wrapped over several lines: Ink misreads the indented continuation (bold across the
            // break shows its asterisks, the next item nests one level too deep), so the item becomes one line.
            if indent > 0, let previous = lines.last, Self.isListItem(previous), !trimmed.isEmpty, !Self.isListItem(line),
                !trimmed.hasPrefix("|"), !trimmed.hasPrefix(">"), !trimmed.hasPrefix("<")
            {
                lines[lines.count - 1] = previous + " " + String(trimmed)
                continue
            }
            if line.hasPrefix("`"), let previous = lines.last,
                !previous.allSatisfy({ $0 == " " || $0 == "\t" }), !previous.hasPrefix("|"), !previous.hasPrefix("```"),
                !previous.hasPrefix("#"), !previous.hasPrefix("<")
            {
                lines[lines.count - 1] = previous + " " + line
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `- item`, `* item`, `+ item` or `12. item`, indented or not (``ListRenderer/item(_:)``'s rule).
    static func isListItem(_ line: String) -> Bool {
        ListRenderer.item(line[...]) != nil
    }

    // MARK: - <details> blocks

    /// A piece of the document: Markdown, or a raw HTML line Ink should not see (it would swallow the Markdown
    /// after a `<details>` line as HTML).
    enum Block: Equatable {
        case markdown(String)
        case html(String)
    }

    /// Splits out lines that are only `<details>`, `<summary>…</summary>` or `</details>` so the Markdown between
    /// them is rendered as Markdown (GitHub does the same when a blank line follows the tag).
    static func splitDetails(_ markdown: String) -> [Block] {
        var blocks: [Block] = []
        var current: [Substring] = []
        var inFence = false
        func flush() {
            if !current.isEmpty { blocks.append(.markdown(current.joined(separator: "\n"))) }
            current = []
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = Self.trimmed(line)
            if trimmed.hasPrefix("```") { inFence.toggle() }
            let isTag =
                !inFence
                && (trimmed.hasPrefix("<details") || trimmed == "</details>"
                    || (trimmed.hasPrefix("<summary>") && trimmed.hasSuffix("</summary>")))
            if isTag {
                flush()
                blocks.append(.html(String(trimmed)))
            } else {
                current.append(line)
            }
        }
        flush()
        return blocks
    }

    private func renderBlocks(_ blocks: [Block], parser: MarkdownParser) -> String {
        blocks.map { block in
            switch block {
            case .markdown(let text):
                ListRenderer.segments(text).map { segment in
                    switch segment {
                    case .markdown(let text): Self.ink(text, parser: parser)
                    case .list(let items): ListRenderer.html(items) { Self.inline($0, parser: parser) }
                    }
                }.joined(separator: "\n")
            case .html(let tag): Self.renderSummary(tag, parser: parser)
            }
        }.joined(separator: "\n")
    }

    /// Ink reads a piece that starts with `-` as a metadata header first, and crashes on a lone `---` (seen: the
    /// rule after a `</details>`). An empty comment in front makes it ordinary Markdown.
    static func ink(_ text: String, parser: MarkdownParser) -> String {
        text.drop(while: \.isWhitespace).hasPrefix("-") ? parser.html(from: "<!-- -->\n" + text) : parser.html(from: text)
    }

    /// One line of inline Markdown (a list item's text) as HTML, without the paragraph Ink wraps it in.
    static func inline(_ text: String, parser: MarkdownParser) -> String {
        var html = Self.ink(text, parser: parser)
        if html.hasPrefix("<!-- -->") { html.removeFirst("<!-- -->".count) }
        if html.hasPrefix("<p>") && html.hasSuffix("</p>") { html = String(html.dropFirst(3).dropLast(4)) }
        return html
    }

    /// `<summary>` may hold inline Markdown (`**Hint**`, backticks): render it without the paragraph around it.
    private static func renderSummary(_ tag: String, parser: MarkdownParser) -> String {
        guard tag.hasPrefix("<summary>") else { return tag }
        let inner = String(tag.dropFirst("<summary>".count).dropLast("</summary>".count))
        return "<summary>\(Self.inline(inner, parser: parser))</summary>"
    }

    /// The line without spaces and tabs around it (Foundation's `trimmingCharacters` on every line of a guide was
    /// a sixth of the render).
    static func trimmed(_ line: Substring) -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let start = line.firstIndex { !blank($0) } ?? line.endIndex
        let end = line.lastIndex { !blank($0) }.map { line.index(after: $0) } ?? start
        return line[start..<max(start, end)]
    }

    // MARK: - Headings

    /// Gives every heading an id (GitHub's slugs: lowercase, spaces to dashes, punctuation dropped, a number
    /// added to a repeated one) and collects the `<h2>` ones as the guide's steps. One per render.
    final class HeadingIDs {
        private var used: [String: Int] = [:]
        private(set) var steps: [Step] = []

        /// `<h2>Title</h2>` → `<h2 id="title"><a class="anchor" href="#title" aria-hidden="true">#</a>Title</h2>`.
        func identify(_ html: String) -> String {
            guard html.hasPrefix("<h"), let open = html.firstIndex(of: ">"), let close = html.range(of: "</h", options: .backwards)
            else { return html }
            let level = html[html.index(html.startIndex, offsetBy: 2)]
            let inner = String(html[html.index(after: open)..<close.lowerBound])
            let text = GuideRenderer.plainText(inner)
            var slug = GuideRenderer.slug(text)
            if let count = self.used[slug] {
                self.used[slug] = count + 1
                slug += "-\(count)"
            } else {
                self.used[slug] = 1
            }
            if level == "2" { self.steps.append(Step(id: slug, title: text)) }
            return "<h\(level) id=\"\(slug)\"><a class=\"anchor\" href=\"#\(slug)\" aria-hidden=\"true\" tabindex=\"-1\">#</a>\(inner)</h\(level)>"
        }
    }

    static func slug(_ text: String) -> String {
        var slug = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "-" || character == "_" {
                slug.append(character)
            } else if character == " " {
                slug.append("-")
            }
        }
        return slug.isEmpty ? "section" : slug
    }

    /// The text of an HTML fragment: tags dropped, the five entities Ink writes decoded.
    static func plainText(_ html: String) -> String {
        var text = ""
        var inTag = false
        for character in html {
            if character == "<" {
                inTag = true
            } else if character == ">" {
                inTag = false
            } else if !inTag {
                text.append(character)
            }
        }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&").trimmingCharacters(in: .whitespaces)
    }

    static func firstHeading(_ markdown: String) -> String? {
        markdown.split(separator: "\n").first { $0.hasPrefix("# ") }.map { String($0.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
    }

    // MARK: - Links

    /// Points the fragment's first `attribute` (a link's `href`, an image's `src`) into the repository when it is
    /// relative: `diagrams/a.svg` in `scenario-05-caching/SCENARIO.md` becomes
    /// `/repo/scenario-05-caching/diagrams/a.svg`. Absolute URLs, anchors and `mailto:` stay as they are.
    static func rewriteFirst(_ attribute: String, in html: String, base: String) -> String {
        guard let start = html.range(of: "\(attribute)=\""), let end = html[start.upperBound...].firstIndex(of: "\"") else { return html }
        let value = String(html[start.upperBound..<end])
        return String(html[..<start.upperBound]) + Self.resolve(value, base: base) + String(html[end...])
    }

    static func resolve(_ link: String, base: String) -> String {
        let lower = link.lowercased()
        if link.isEmpty || link.hasPrefix("#") || link.hasPrefix("/") || lower.hasPrefix("http:") || lower.hasPrefix("https:")
            || lower.hasPrefix("mailto:") || lower.hasPrefix("data:")
        {
            return link
        }
        var fragment = ""
        var path = link
        if let hash = link.firstIndex(of: "#") {
            fragment = String(link[hash...])
            path = String(link[..<hash])
        }
        var parts = base.split(separator: "/").map(String.init)
        for part in path.split(separator: "/") {
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
            } else if part != "." {
                parts.append(String(part))
            }
        }
        return "/repo/" + parts.joined(separator: "/") + fragment
    }
}
