/// A JSON document as a value tree (object keys kept sorted when emitted).
enum JSONValue: Decodable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

/// Block-style YAML for a `JSONValue`: mappings and sequences on their own lines, strings
/// double-quoted (so no value is ever re-typed by a YAML 1.1 reader), keys plain when safe.
enum YAMLEmitter {
    /// The lines of a document whose root is `value`.
    static func lines(_ value: JSONValue) -> [String] {
        if let s = scalar(value) { return [s] }
        return block(value)
    }

    /// Lines of a non-empty mapping or sequence, relative to its own indentation.
    static func block(_ value: JSONValue) -> [String] {
        var out: [String] = []
        switch value {
        case .object(let members):
            for key in members.keys.sorted() {
                let v = members[key]!
                if let s = scalar(v) {
                    out.append("\(self.key(key)): \(s)")
                } else {
                    out.append("\(self.key(key)):")
                    out.append(contentsOf: block(v).map { "  " + $0 })
                }
            }
        case .array(let items):
            for item in items {
                if let s = scalar(item) {
                    out.append("- \(s)")
                } else {
                    let inner = block(item)
                    out.append("- " + inner[0])
                    out.append(contentsOf: inner.dropFirst().map { "  " + $0 })
                }
            }
        default:
            break
        }
        return out
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

    private static let reservedWords: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"]

    /// A mapping key: plain when it is a simple identifier-like word, quoted otherwise.
    static func key(_ k: String) -> String {
        let safe = !k.isEmpty && k.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "." || c == "/" || c == "-" || c == "_"
        }
        let first = k.unicodeScalars.first.map { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") } ?? false
        return safe && first && !reservedWords.contains(k.lowercased()) ? k : quoted(k)
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
                if c.value < 0x20 || c.value == 0x7F || (c.value >= 0x80 && c.value < 0xA0) || c.value == 0x2028 || c.value == 0x2029 || c.value == 0xFEFF {
                    let hex = String(c.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }
}
