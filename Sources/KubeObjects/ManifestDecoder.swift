import Foundation
import SwitchyardCore

/// Decodes Kubernetes manifests — `kubectl get … -o json|yaml` output or hand-written files — into the
/// objects Switchyard understands. Pure: no I/O, never throws, never traps on hostile input.
///
/// - JSON (first non-blank byte `{` or `[`) goes through Foundation's `JSONDecoder`; if it is not valid
///   JSON the input is retried as YAML (e.g. a YAML flow mapping).
/// - YAML goes through Yams and may hold several `---`-separated documents.
/// - A document is one object, a `kind: List` (items carry their own kind) or a typed list
///   (`ServiceList`, `EndpointSliceList`, `NodeList`, whose items may omit kind and apiVersion).
/// - Known kinds: `v1 Service`, `discovery.k8s.io/v1 EndpointSlice`, `v1 Node`. Other kinds are counted
///   in `DecodeResult.ignoredKinds`; a known kind with another apiVersion gets a diagnostic.
/// - Every object decodes on its own: a malformed one yields one `Diagnostic` naming its kind,
///   namespace/name and field path, and the others still decode. Unknown fields are ignored.
/// - Namespaced objects without `metadata.namespace` are put in `default`, as `kubectl apply` does.
///   An object without `metadata.name` is refused. Names are otherwise kept as written.
/// - Diagnostics carry `source` = `"<source>#<document index>"` (0-based).
/// - Limits against hostile input: see `DecodeLimits`.
public enum ManifestDecoder {
    /// Decodes JSON or YAML bytes.
    public static func decode(_ data: Data, source: String, limits: DecodeLimits = .default) -> DecodeResult {
        if data.count > limits.maxInputBytes {
            return failure(.document("input is \(data.count) bytes, more than the limit of \(limits.maxInputBytes)"),
                           source: source, index: 0)
        }
        if looksLikeJSON(data) {
            switch decodeJSON(data, source: source, limits: limits) {
            case .decoded(let result):
                return result
            case .notJSON(let problem):
                let yaml = decodeYAML(data, source: source, limits: limits)
                if !yaml.objects.isEmpty || !yaml.ignoredKinds.isEmpty { return yaml }
                return failure(problem, source: source, index: 0)
            }
        }
        return decodeYAML(data, source: source, limits: limits)
    }

    /// Decodes JSON or YAML bytes.
    public static func decode(_ bytes: [UInt8], source: String, limits: DecodeLimits = .default) -> DecodeResult {
        decode(Data(bytes), source: source, limits: limits)
    }

    /// Decodes JSON or YAML text.
    public static func decode(_ text: String, source: String, limits: DecodeLimits = .default) -> DecodeResult {
        decode(Data(text.utf8), source: source, limits: limits)
    }

    // MARK: - Format detection

    static func looksLikeJSON(_ data: Data) -> Bool {
        var skippedBOM = false
        for (offset, b) in data.enumerated() {
            if offset < 3 && !skippedBOM && data.starts(with: [0xEF, 0xBB, 0xBF]) {
                if offset == 2 { skippedBOM = true }
                continue
            }
            switch b {
            case 32, 9, 10, 13: continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): return true
            default: return false
            }
        }
        return false
    }

    // MARK: - JSON

    enum JSONOutcome {
        case decoded(DecodeResult)
        case notJSON(Problem)
    }

    /// - Parameter chunked: decode a large `List`'s items in parallel chunks (the same result).
    static func decodeJSON(_ data: Data, source: String, limits: DecodeLimits, chunked: Bool = true) -> JSONOutcome {
        let breach = data.withUnsafeBytes { raw in
            JSONPreScan.check(raw.bindMemory(to: UInt8.self), limits: limits)
        }
        if let breach { return .decoded(failure(.document(breach), source: source, index: 0)) }
        if chunked, let result = decodeListInChunks(data, source: source) { return .decoded(result) }
        do {
            let envelope = try JSONDecoder().decode(DocumentEnvelope.self, from: data)
            var result = DecodeResult()
            collect(envelope.entries, into: &result, source: source, index: 0)
            return .decoded(result)
        } catch let DecodingError.dataCorrupted(ctx) {
            let detail = ctx.underlyingError.map { " (\($0))" } ?? ""
            return .notJSON(.document("invalid JSON: \(ctx.debugDescription)\(detail)"))
        } catch {
            return .notJSON(.document("invalid JSON: \(error)"))
        }
    }

    /// Items per chunk below which a list is decoded in one piece.
    static let minimumItemsPerChunk = 256

    /// A large `List` decoded in parallel: the document around its items (with `"items": []`),
    /// then the items in contiguous chunks, one `JSONDecoder` per chunk. The result is the one
    /// the whole document gives; nil (decode it whole) when the layout is unusual, the list is
    /// small, or any piece fails to parse.
    static func decodeListInChunks(_ data: Data, source: String) -> DecodeResult? {
        let layout: JSONListSplit.Layout? = data.withUnsafeBytes { raw in JSONListSplit.layout(raw.bindMemory(to: UInt8.self)) }
        guard let layout else { return nil }
        let chunks = min(ParallelMap.workers(), layout.elements.count / minimumItemsPerChunk)
        guard chunks >= 2 else { return nil }
        var rest = Data(data[data.startIndex..<(data.startIndex + layout.items.lowerBound)])
        rest.append(contentsOf: "[]".utf8)
        rest.append(data[(data.startIndex + layout.items.upperBound)...])
        guard let envelope = try? JSONDecoder().decode(DocumentEnvelope.self, from: rest), let list = envelope.list,
              envelope.entries.isEmpty else { return nil }
        let count = layout.elements.count
        var pieces: [Range<Int>] = []
        for c in 0..<chunks {
            let lo: Int = count * c / chunks, hi: Int = count * (c + 1) / chunks
            pieces.append(lo..<hi)
        }
        let decoded: [[DecodedEntry]?] = ParallelMap.map(pieces, minimumChunk: 1) { piece in
            let first = layout.elements[piece.lowerBound], last = layout.elements[piece.upperBound - 1]
            var chunk = Data(capacity: last.upperBound - first.lowerBound + 2)
            chunk.append(UInt8(ascii: "["))
            chunk.append(data[(data.startIndex + first.lowerBound)..<(data.startIndex + last.upperBound)])
            chunk.append(UInt8(ascii: "]"))
            var context = list
            context.firstIndex = piece.lowerBound
            let decoder = JSONDecoder()
            decoder.userInfo[ListContext.userInfoKey] = context
            guard let items = try? decoder.decode(ListChunk.self, from: chunk), !items.stoppedEarly,
                  items.entries.count == piece.count else { return nil }
            return items.entries
        }
        var result = DecodeResult()
        for entries in decoded {
            guard let entries else { return nil }
            collect(entries, into: &result, source: source, index: 0)
        }
        return result
    }

    // MARK: - Results

    static func collect(_ entries: [DecodedEntry], into result: inout DecodeResult, source: String, index: Int) {
        for entry in entries {
            switch entry {
            case .object(let o): result.objects.append(o)
            case .ignored(let kind): result.ignoredKinds[kind, default: 0] += 1
            case .failed(let p): result.diagnostics.append(diagnostic(p, source: source, index: index))
            }
        }
    }

    static func diagnostic(_ p: Problem, source: String, index: Int) -> Diagnostic {
        Diagnostic(kind: p.kind, namespace: p.namespace, name: p.name, field: p.field, reason: p.reason,
                   source: "\(source)#\(index)")
    }

    static func failure(_ p: Problem, source: String, index: Int) -> DecodeResult {
        DecodeResult(diagnostics: [diagnostic(p, source: source, index: index)])
    }
}
