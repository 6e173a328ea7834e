import Foundation
import Yams

extension ManifestDecoder {
    /// Decodes a YAML stream document by document, after the pre-scan and per-document limit walk.
    static func decodeYAML(_ data: Data, source: String, limits: DecodeLimits) -> DecodeResult {
        let scan = data.withUnsafeBytes { YAMLPreScan.scan($0.bindMemory(to: UInt8.self)) }
        if let line = scan.complexKeyLine {
            return failure(.document("line \(line): mapping keys must be plain scalars (no ?, alias or collection keys)"),
                           source: source, index: 0)
        }
        if scan.aliases > limits.maxAliases {
            return failure(.document("\(scan.aliases) alias references, more than the limit of \(limits.maxAliases)"),
                           source: source, index: 0)
        }
        var result = DecodeResult()
        var budget = data.count + limits.aliasExpansionAllowance
        var index = 0
        do {
            var documents = try compose_all(yaml: String(decoding: data, as: UTF8.self))
            while let node = documents.next() {
                defer { index += 1 }
                if isEmptyDocument(node) { continue }
                if let breach = checkLimits(node, limits: limits, budget: &budget) {
                    result.diagnostics.append(diagnostic(.document(breach), source: source, index: index))
                    if budget < 0 { return result }
                    continue
                }
                let envelope = try YAMLDecoder().decode(DocumentEnvelope.self, from: node)
                collect(envelope.entries, into: &result, source: source, index: index)
            }
            if let error = documents.error {
                result.diagnostics.append(diagnostic(.document(describe(error)), source: source, index: index))
            }
        } catch {
            result.diagnostics.append(diagnostic(.document(describe(error)), source: source, index: index))
        }
        return result
    }

    static func isEmptyDocument(_ node: Yams.Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return false }
        return s.string.isEmpty || s.string == "~" || s.string == "null" || s.string == "Null" || s.string == "NULL"
    }

    /// Walks a composed document without recursion, enforcing depth, scalar size, mapping size and the
    /// shared node budget (which stops alias expansion).
    static func checkLimits(_ root: Yams.Node, limits: DecodeLimits, budget: inout Int) -> String? {
        var stack: [(Yams.Node, Int)] = [(root, 0)]
        while let (node, depth) = stack.popLast() {
            budget -= 1
            if budget < 0 {
                return "more nodes than the input size allows (alias expansion limit \(limits.aliasExpansionAllowance))"
            }
            switch node {
            case .scalar(let s):
                if s.string.utf8.count > limits.maxScalarBytes {
                    return "scalar longer than \(limits.maxScalarBytes) bytes"
                }
            case .mapping(let m):
                if depth + 1 > limits.maxDepth { return "nesting deeper than \(limits.maxDepth) levels" }
                if m.count > limits.maxMappingEntries {
                    return "mapping with \(m.count) entries, more than the limit of \(limits.maxMappingEntries)"
                }
                for (k, v) in m { stack.append((k, depth + 1)); stack.append((v, depth + 1)) }
            case .sequence(let s):
                if depth + 1 > limits.maxDepth { return "nesting deeper than \(limits.maxDepth) levels" }
                for n in s { stack.append((n, depth + 1)) }
            case .alias:
                break
            }
        }
        return nil
    }

    /// A one-line description of a Yams error (without the echoed input).
    static func describe(_ error: Error) -> String {
        guard let y = error as? YamlError else { return "invalid YAML: \(error)" }
        switch y {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return "invalid YAML at line \(mark.line) column \(mark.column): \(problem)"
        case .reader(let problem, let offset, _, _):
            return "unreadable YAML at byte \(offset ?? 0): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "invalid YAML: duplicate keys \(duplicates.prefix(3).joined(separator: ", "))"
        default:
            return "invalid YAML: \(y)"
        }
    }
}
