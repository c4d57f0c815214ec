import Ink

/// Bulleted and numbered lists, nested by indentation, rendered here rather than by Ink: Ink 0.6 puts every item
/// after a nested list inside it (`- A` / `  - a1` / `- B` gives B as a child of A), which scrambles the guides'
/// explanations. Each item's text still goes through Ink, so its inline Markdown (bold, code, links) renders the
/// same as everywhere else.
///
/// Expects items on one line each (``GuideRenderer/normalizeForInk(_:)`` joins wrapped ones).
enum ListRenderer {
    struct Item: Equatable {
        var indent: Int
        var ordered: Bool
        /// The number of an ordered item (`3.` → 3).
        var number: Int
        var text: String
    }

    /// A piece of a Markdown block: ordinary Markdown, or a list.
    enum Segment: Equatable {
        case markdown(String)
        case list([Item])
    }

    static func item(_ line: Substring) -> Item? {
        let indent = line.prefix { $0 == " " }.count
        let text = line.dropFirst(indent)
        for marker in ["- ", "* ", "+ "] where text.hasPrefix(marker) {
            return Item(indent: indent, ordered: false, number: 0, text: String(text.dropFirst(2)))
        }
        let digits = text.prefix { $0.isNumber }
        guard !digits.isEmpty, digits.count < 10, text.dropFirst(digits.count).hasPrefix(". ") else { return nil }
        return Item(indent: indent, ordered: true, number: Int(digits) ?? 1, text: String(text.dropFirst(digits.count + 2)))
    }

    /// Splits `markdown` into lists and the rest. A list starts at an unindented item and goes on while lines are
    /// items; blank lines between items keep it going (a loose list), anything else ends it.
    static func segments(_ markdown: String) -> [Segment] {
        var segments: [Segment] = []
        var text: [Substring] = []
        var items: [Item] = []
        var blanks: [Substring] = []
        func flushText() {
            if !text.isEmpty { segments.append(.markdown(text.joined(separator: "\n"))) }
            text = []
        }
        func flushList() {
            if !items.isEmpty { segments.append(.list(items)) }
            items = []
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let blank = line.allSatisfy { $0 == " " || $0 == "\t" }
            if !items.isEmpty {
                if blank {
                    blanks.append(line)
                    continue
                }
                if let item = Self.item(line) {
                    items.append(item)
                    blanks = []
                    continue
                }
                flushList()
                text += blanks
                blanks = []
            }
            if !blank, let item = Self.item(line), item.indent == 0 {
                flushText()
                items.append(item)
                continue
            }
            text.append(line)
        }
        flushList()
        text += blanks
        flushText()
        return segments
    }

    /// The list as HTML, each item's text rendered by `inline`.
    static func html(_ items: [Item], inline: (String) -> String) -> String {
        var html = ""
        // The open lists, innermost last: the indentation of their items and whether numbered.
        var open: [(indent: Int, ordered: Bool)] = []
        for item in items {
            while let last = open.last, last.indent > item.indent {
                html += last.ordered ? "</li></ol>" : "</li></ul>"
                open.removeLast()
            }
            // Another kind of marker at the same depth starts another list, as in CommonMark.
            if let last = open.last, last.indent == item.indent, last.ordered != item.ordered {
                html += last.ordered ? "</li></ol>" : "</li></ul>"
                open.removeLast()
            }
            if let last = open.last, last.indent == item.indent {
                html += "</li>"
            } else {
                html += item.ordered ? (item.number == 1 ? "<ol>" : "<ol start=\"\(item.number)\">") : "<ul>"
                open.append((item.indent, item.ordered))
            }
            html += "<li>" + inline(item.text)
        }
        while let last = open.popLast() { html += last.ordered ? "</li></ol>" : "</li></ul>" }
        return html
    }
}
