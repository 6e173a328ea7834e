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

    static func decodeJSON(_ data: Data, source: String, limits: DecodeLimits) -> JSONOutcome {
        let breach = data.withUnsafeBytes { raw in
            JSONPreScan.check(raw.bindMemory(to: UInt8.self), limits: limits)
        }
        if let breach { return .decoded(failure(.document(breach), source: source, index: 0)) }
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
