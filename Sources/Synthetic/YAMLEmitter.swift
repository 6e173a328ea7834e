/// A JSON document as a value tree; object members keep their order.
enum JSONValue {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
}

/// Block-style YAML for a `JSONValue`: mappings and sequences on their own lines, strings
/// double-quoted (so no value is ever re-typed by a YAML 1.1 reader), keys plain when safe.
enum YAMLEmitter {
    /// The document whose root is `value`, ending with a newline.
    static func document(_ value: JSONValue) -> String {
        if let s = scalar(value) { return s + "\n" }
        var out = ""
        emit(value, indent: 0, lead: nil, into: &out)
        return out
    }

    /// Writes a non-empty mapping or sequence at `indent`; `lead` replaces the first line's indentation.
    static func emit(_ value: JSONValue, indent: Int, lead: String?, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let members):
            for (i, (k, v)) in members.enumerated() {
                out += (i == 0 ? lead ?? pad : pad) + key(k) + ":"
                if let s = scalar(v) {
                    out += " " + s + "\n"
                } else {
                    out += "\n"
                    emit(v, indent: indent + 2, lead: nil, into: &out)
                }
            }
        case .array(let items):
            for (i, item) in items.enumerated() {
                let itemLead = (i == 0 ? lead ?? pad : pad) + "- "
                if let s = scalar(item) {
                    out += itemLead + s + "\n"
                } else {
                    emit(item, indent: indent + 2, lead: itemLead, into: &out)
                }
            }
        default:
            break
        }
    }

    /// The inline form of scalars and empty containers; nil for non-empty containers.
    static func scalar(_ value: JSONValue) -> String? {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : "null"
        case .string(let s): return quoted(s)
        case .array(let a): return a.isEmpty ? "[]" : nil
        case .object(let o): return o.isEmpty ? "{}" : nil
        }
    }

    private static let reservedWords: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"]

    /// A mapping key: plain when it is a simple identifier-like word, quoted otherwise.
    static func key(_ k: String) -> String {
        func letter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") }
        let safe = k.unicodeScalars.allSatisfy { c in
            letter(c) || (c >= "0" && c <= "9") || c == "." || c == "/" || c == "-" || c == "_"
        }
        let startsWithLetter = k.unicodeScalars.first.map(letter) ?? false
        return safe && startsWithLetter && !reservedWords.contains(k.lowercased()) ? k : quoted(k)
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let v = c.value
                if v < 0x20 || v == 0x7F || (v >= 0x80 && v < 0xA0) || v == 0x2028 || v == 0x2029 || v == 0xFEFF {
                    let hex = String(v, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }
}
