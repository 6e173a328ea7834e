/// JSON string escaping without Foundation, shared by every renderer's `json` output, the bench report
/// and the logfmt log lines.
public enum JSONText {
    /// `s` as a quoted JSON string.
    public static func string(_ s: String) -> String { quoted(s) }

    /// `s` in double quotes with `"` and `\` escaped, `\n` and `\t` (and `\r` when
    /// `shortCarriageReturn`) as short escapes, every other control character as `\u00xx`, and
    /// DEL as `\u007f` when `escapeDelete`. Every variant is a valid JSON string.
    public static func quoted(_ s: String, shortCarriageReturn: Bool = true, escapeDelete: Bool = false) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r" where shortCarriageReturn: out += "\\r"
            default:
                if u.value < 0x20 || (escapeDelete && u.value == 0x7F) {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
