import Foundation

/// A parsed Kubernetes equality-based label selector: `k`, `!k`, `k=v`, `k==v`, `k!=v`, comma-joined
/// (all requirements must hold). Set-based forms (`in`, `notin`) are not supported and fail to parse.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case exists(String)
        case notExists(String)
        case equals(String, String)
        case notEquals(String, String)
    }

    var requirements: [Requirement]

    /// Parses `text`; nil or empty selects everything. Returns nil for text it cannot parse.
    init?(_ text: String?) {
        requirements = []
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        for rawPart in text.split(separator: ",", omittingEmptySubsequences: false) {
            let part = rawPart.trimmingCharacters(in: .whitespaces)
            guard !part.isEmpty else { return nil }
            if let r = part.range(of: "!=") {
                requirements.append(.notEquals(String(part[..<r.lowerBound]).trimmed, String(part[r.upperBound...]).trimmed))
            } else if let r = part.range(of: "==") ?? part.range(of: "=") {
                requirements.append(.equals(String(part[..<r.lowerBound]).trimmed, String(part[r.upperBound...]).trimmed))
            } else if part.hasPrefix("!") {
                requirements.append(.notExists(String(part.dropFirst()).trimmed))
            } else {
                if part.contains(" ") || part.contains("(") { return nil }
                requirements.append(.exists(part))
            }
        }
        for req in requirements {
            switch req {
            case .exists(let k), .notExists(let k), .equals(let k, _), .notEquals(let k, _):
                if k.isEmpty { return nil }
            }
        }
    }

    /// Whether `labels` satisfy every requirement. `k!=v` holds when `k` is absent, as in Kubernetes.
    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { req in
            switch req {
            case .exists(let k): return labels[k] != nil
            case .notExists(let k): return labels[k] == nil
            case .equals(let k, let v): return labels[k] == v
            case .notEquals(let k, let v): return labels[k] != v
            }
        }
    }
}

/// The field selectors the server understands: `metadata.name=`, `metadata.namespace=` (and `!=`).
struct FieldSelector: Sendable, Equatable {
    var name: (value: String, equal: Bool)?
    var namespace: (value: String, equal: Bool)?

    static func == (a: FieldSelector, b: FieldSelector) -> Bool {
        a.name?.value == b.name?.value && a.name?.equal == b.name?.equal
            && a.namespace?.value == b.namespace?.value && a.namespace?.equal == b.namespace?.equal
    }

    init?(_ text: String?) {
        guard let text, !text.isEmpty else { return }
        for part in text.split(separator: ",") {
            let p = String(part)
            let (key, value, equal): (String, String, Bool)
            if let r = p.range(of: "!=") {
                (key, value, equal) = (String(p[..<r.lowerBound]), String(p[r.upperBound...]), false)
            } else if let r = p.range(of: "==") ?? p.range(of: "=") {
                (key, value, equal) = (String(p[..<r.lowerBound]), String(p[r.upperBound...]), true)
            } else { return nil }
            switch key.trimmed {
            case "metadata.name": name = (value.trimmed, equal)
            case "metadata.namespace": namespace = (value.trimmed, equal)
            default: return nil
            }
        }
    }

    func matches(namespace ns: String, name n: String) -> Bool {
        if let name, (n == name.value) != name.equal { return false }
        if let namespace, (ns == namespace.value) != namespace.equal { return false }
        return true
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
