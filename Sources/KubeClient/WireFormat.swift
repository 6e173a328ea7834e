import Foundation
import KubeObjects
import SwitchyardCore

/// Metadata read leniently (each field optional and type-tolerant), so a malformed object can still be
/// named in a diagnostic and a DELETED or BOOKMARK event can still be applied.
struct LooseMeta: Decodable {
    var name: String?
    var namespace: String?
    var resourceVersion: String?
    enum CodingKeys: String, CodingKey { case name, namespace, resourceVersion }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try? c.decodeIfPresent(String.self, forKey: .name)
        namespace = try? c.decodeIfPresent(String.self, forKey: .namespace)
        resourceVersion = try? c.decodeIfPresent(String.self, forKey: .resourceVersion)
    }
}

/// The part of a watch event or list item read before the full object.
struct LooseObject: Decodable {
    var metadata: LooseMeta?
    var code: Int?
    var reason: String?
    var message: String?
    enum CodingKeys: String, CodingKey { case metadata, code, reason, message }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try? c.decodeIfPresent(LooseMeta.self, forKey: .metadata)
        code = try? c.decodeIfPresent(Int.self, forKey: .code)
        reason = try? c.decodeIfPresent(String.self, forKey: .reason)
        message = try? c.decodeIfPresent(String.self, forKey: .message)
    }
}

/// One decoded list item or watch object: the object, or why it could not be decoded.
enum DecodedObject {
    case object(KubeObject)
    case invalid(ObjectRef?, Diagnostic)
}

/// Decodes list pages and watch events into KubeObjects, one object at a time.
struct WireFormat {
    let kind: ObjectKind
    private let decoder = JSONDecoder()

    init(kind: ObjectKind) { self.kind = kind }

    struct ListPage {
        var items: [DecodedObject]
        var resourceVersion: String
        var continueToken: String?
    }

    struct WatchEvent {
        var type: String
        var meta: LooseObject?
        var object: DecodedObject?
    }

    private struct ListEnvelope<T: Decodable>: Decodable {
        struct Meta: Decodable { var resourceVersion: String?; var `continue`: String? }
        var metadata: Meta?
        var items: [Lenient<T>]?
    }

    private struct Lenient<T: Decodable>: Decodable {
        var value: Result<T, any Error>
        var loose: LooseObject?
        init(from decoder: Decoder) throws {
            value = Result { try T(from: decoder) }
            loose = try? LooseObject(from: decoder)
        }
    }

    private struct EventHead: Decodable {
        var type: String
        var object: LooseObject?
    }

    private struct EventBody<T: Decodable>: Decodable { var object: T }

    func list(_ data: Data) throws -> ListPage {
        switch kind {
        case .service: return try list(data, Service.self, KubeObject.service)
        case .endpointSlice: return try list(data, EndpointSlice.self, KubeObject.endpointSlice)
        case .node: return try list(data, Node.self, KubeObject.node)
        }
    }

    private func list<T: Decodable>(_ data: Data, _: T.Type, _ wrap: (T) -> KubeObject) throws -> ListPage {
        let envelope: ListEnvelope<T>
        do {
            envelope = try decoder.decode(ListEnvelope<T>.self, from: data)
        } catch {
            throw KubeClientError.decoding("\(kind.rawValue) list: \(error)")
        }
        guard let rv = envelope.metadata?.resourceVersion, !rv.isEmpty else {
            throw KubeClientError.decoding("\(kind.rawValue) list has no metadata.resourceVersion")
        }
        let items = (envelope.items ?? []).map { item -> DecodedObject in
            switch item.value {
            case .success(let v): return validated(wrap(v))
            case .failure(let e): return invalid(item.loose?.metadata, e)
            }
        }
        let token = envelope.metadata?.continue
        return ListPage(items: items, resourceVersion: rv, continueToken: token?.isEmpty == false ? token : nil)
    }

    /// Decodes one watch line. Throws only when the line is not a watch event at all.
    func event(_ line: Data) throws -> WatchEvent {
        let head: EventHead
        do {
            head = try decoder.decode(EventHead.self, from: line)
        } catch {
            throw KubeClientError.decoding("watch line is not an event: \(error)")
        }
        var event = WatchEvent(type: head.type, meta: head.object, object: nil)
        if head.type == "ADDED" || head.type == "MODIFIED" || head.type == "DELETED" {
            event.object = object(line, meta: head.object?.metadata)
        }
        return event
    }

    private func object(_ line: Data, meta: LooseMeta?) -> DecodedObject {
        do {
            switch kind {
            case .service: return validated(.service(try decoder.decode(EventBody<Service>.self, from: line).object))
            case .endpointSlice: return validated(.endpointSlice(try decoder.decode(EventBody<EndpointSlice>.self, from: line).object))
            case .node: return validated(.node(try decoder.decode(EventBody<Node>.self, from: line).object))
            }
        } catch {
            return invalid(meta, error)
        }
    }

    private func validated(_ object: KubeObject) -> DecodedObject {
        let ref = object.ref
        guard !ref.name.isEmpty else {
            return .invalid(nil, Diagnostic(kind: kind.rawValue, namespace: ref.namespace, name: "", field: "metadata.name",
                                            reason: "missing", source: "API watch"))
        }
        return .object(object)
    }

    private func invalid(_ meta: LooseMeta?, _ error: any Error) -> DecodedObject {
        let ref = meta?.name.flatMap { name in
            name.isEmpty ? nil : ObjectRef(kind: kind, namespace: kind == .node ? "" : (meta?.namespace ?? ""), name: name)
        }
        let reason: String
        if case DecodingError.typeMismatch(_, let ctx) = error {
            reason = "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))"
        } else if case DecodingError.dataCorrupted(let ctx) = error {
            reason = "malformed at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)"
        } else if case DecodingError.keyNotFound(let key, let ctx) = error {
            reason = "missing \((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        } else {
            reason = "\(error)"
        }
        return .invalid(ref, Diagnostic(kind: kind.rawValue, namespace: ref?.namespace ?? "", name: ref?.name ?? "",
                                        field: "object", reason: "cannot decode: \(reason)", source: "API watch"))
    }
}
