/// A problem found in one input object: which object, which field, and why it was skipped.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible, Error {
    /// `Service`, `EndpointSlice`, `Node`, or the kind as written.
    public var kind: String
    /// Namespace, or empty for cluster-scoped objects and unknown namespaces.
    public var namespace: String
    /// Object name (already sanitised for printing).
    public var name: String
    /// The offending field path, e.g. `spec.ports[1].port`.
    public var field: String
    /// What is wrong.
    public var reason: String
    /// Where the object came from (file path and document index), if known.
    public var source: String?

    public init(kind: String, namespace: String, name: String, field: String, reason: String, source: String? = nil) {
        self.kind = Diagnostic.printable(kind)
        self.namespace = Diagnostic.printable(namespace)
        self.name = Diagnostic.printable(name)
        self.field = Diagnostic.printable(field)
        self.reason = Diagnostic.printable(reason, limit: 200)
        self.source = source.map { Diagnostic.printable($0, limit: 300) }
    }

    /// One line: `skipped Service default/web: spec.ports[1].port: 70000 is out of range`.
    public var description: String {
        let ns = namespace.isEmpty ? "" : namespace + "/"
        let at = source.map { " (\($0))" } ?? ""
        return "skipped \(kind) \(ns)\(name): \(field): \(reason)\(at)"
    }

    /// Makes untrusted text safe for a single log line: control characters escaped, length capped.
    public static func printable(_ text: String, limit: Int = 80) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit { out += "…"; break }
            if scalar.value < 0x20 || scalar.value == 0x7f || (scalar.value >= 0x80 && scalar.value < 0xa0) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return out
    }
}

/// Collects diagnostics while a pure function runs; the caller decides where they are printed.
public struct Diagnostics: Sendable {
    public private(set) var items: [Diagnostic] = []
    public init() {}
    public mutating func add(_ d: Diagnostic) { items.append(d) }
    public mutating func append(contentsOf other: Diagnostics) { items.append(contentsOf: other.items) }
    public var isEmpty: Bool { items.isEmpty }
}
