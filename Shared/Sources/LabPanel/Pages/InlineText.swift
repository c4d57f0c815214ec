/// Text from checks.json (hints, findings) as HTML: escaped, with `backticks` shown as code, the way the
/// terminal's reader already reads them.
enum InlineText {
    static func html(_ text: String) -> String {
        var output = ""
        var inCode = false
        for character in text {
            switch character {
            case "`":
                output += inCode ? "</code>" : "<code>"
                inCode.toggle()
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "&": output += "&amp;"
            case "\"": output += "&quot;"
            default: output.append(character)
            }
        }
        if inCode { output += "</code>" }
        return output
    }
}
