/// Decodes one object of a known kind, turning any failure into a `Problem` naming the field.
enum ObjectDecoding {
    /// The API versions Switchyard reads, per kind.
    static let supportedAPIVersion: [ObjectKind: String] = [
        .service: "v1",
        .endpointSlice: "discovery.k8s.io/v1",
        .node: "v1",
    ]

    /// What can be read of an object's identity, for diagnostics, even when the object is malformed.
    struct Header {
        var kind: String?
        var apiVersion: String?
        var namespace: String?
        var name: String?

        init(_ decoder: Decoder) {
            guard let c = try? decoder.container(keyedBy: AnyKey.self) else { return }
            kind = (try? c.decodeIfPresent(String.self, forKey: AnyKey("kind"))) ?? nil
            apiVersion = (try? c.decodeIfPresent(String.self, forKey: AnyKey("apiVersion"))) ?? nil
            guard let m = try? c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("metadata")) else { return }
            namespace = (try? m.decodeIfPresent(String.self, forKey: AnyKey("namespace"))) ?? nil
            name = (try? m.decodeIfPresent(String.self, forKey: AnyKey("name"))) ?? nil
        }
    }

    static func decodeEntry(_ decoder: Decoder, defaultKind: String?, defaultAPIVersion: String?) -> DecodedEntry {
        guard let c = try? decoder.container(keyedBy: AnyKey.self) else {
            if (try? decoder.singleValueContainer().decodeNil()) == true { return .failed(.document("null object")) }
            return .failed(.document("object is not a mapping"))
        }
        // Only kind and apiVersion are needed to decode; the metadata part of the header is read
        // again only when there is a problem to report.
        let headerKind = (try? c.decodeIfPresent(String.self, forKey: AnyKey("kind"))) ?? nil
        let headerAPIVersion = (try? c.decodeIfPresent(String.self, forKey: AnyKey("apiVersion"))) ?? nil
        func header(_ kind: ObjectKind?) -> Header {
            var h = Header(decoder)
            if let kind, kind != .node, h.namespace == nil { h.namespace = "default" }
            return h
        }
        guard let kindText = headerKind ?? defaultKind else {
            return .failed(problem(header(nil), "", field: "kind", reason: "missing or not a string"))
        }
        guard let kind = ObjectKind(rawValue: kindText) else { return .ignored(kind: kindText) }
        let apiVersion = headerAPIVersion ?? defaultAPIVersion
        let supported = supportedAPIVersion[kind] ?? ""
        guard apiVersion == supported else {
            return .failed(problem(header(kind), kindText, field: "apiVersion",
                                   reason: "unsupported apiVersion \(apiVersion ?? "(missing)"), expected \(supported)"))
        }
        do {
            let object = try decodeObject(kind, from: decoder)
            if object.ref.name.isEmpty {
                return .failed(problem(header(kind), kindText, field: "metadata.name", reason: "missing or empty"))
            }
            return .object(object)
        } catch let error as DecodingError {
            let (field, reason) = describe(error, droppingPrefix: decoder.codingPath.count)
            return .failed(problem(header(kind), kindText, field: field, reason: reason))
        } catch {
            return .failed(problem(header(kind), kindText, field: "(object)", reason: "\(error)"))
        }
    }

    /// Decodes the typed object and fills in what typed lists and hand-written manifests leave out:
    /// `kind`/`apiVersion` (typed list items) and the `default` namespace (as `kubectl apply` would).
    static func decodeObject(_ kind: ObjectKind, from decoder: Decoder) throws -> KubeObject {
        switch kind {
        case .service:
            var s = try Service(from: decoder)
            s.kind = "Service"; s.apiVersion = "v1"
            if s.metadata.namespace == nil { s.metadata.namespace = "default" }
            return .service(s)
        case .endpointSlice:
            var e = try EndpointSlice(from: decoder)
            e.kind = "EndpointSlice"; e.apiVersion = "discovery.k8s.io/v1"
            if e.metadata.namespace == nil { e.metadata.namespace = "default" }
            return .endpointSlice(e)
        case .node:
            var n = try Node(from: decoder)
            n.kind = "Node"; n.apiVersion = "v1"
            return .node(n)
        }
    }

    static func problem(_ h: Header, _ kind: String, field: String, reason: String) -> Problem {
        Problem(kind: h.kind ?? (kind.isEmpty ? "(unknown kind)" : kind), namespace: h.namespace ?? "",
                name: h.name ?? "(unnamed)", field: field, reason: reason)
    }

    /// The field path (`spec.ports[1].port`) and a short reason for a decoding error.
    static func describe(_ error: DecodingError, droppingPrefix prefix: Int) -> (field: String, reason: String) {
        switch error {
        case .typeMismatch(let type, let ctx):
            return (path(ctx.codingPath, dropping: prefix), "wrong type, expected \(typeName(type))")
        case .valueNotFound(let type, let ctx):
            return (path(ctx.codingPath, dropping: prefix), "null, expected \(typeName(type))")
        case .keyNotFound(let key, let ctx):
            return (path(ctx.codingPath + [key], dropping: prefix), "missing")
        case .dataCorrupted(let ctx):
            return (path(ctx.codingPath, dropping: prefix), ctx.debugDescription)
        @unknown default:
            return ("(object)", "\(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "integer"
        case is String.Type: return "string"
        case is Bool.Type: return "boolean"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "list" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("KeyedDecodingContainer") { return "mapping" }
            if name.hasPrefix("UnkeyedDecodingContainer") { return "list" }
            return name
        }
    }

    /// Renders a coding path: keys joined by dots, indices in brackets, keys containing dots quoted.
    static func path(_ keys: [CodingKey], dropping prefix: Int) -> String {
        var out = ""
        for key in keys.dropFirst(prefix) {
            if let i = key.intValue, key.stringValue == "Index \(i)" || key.stringValue == String(i) {
                out += "[\(i)]"
            } else if key.stringValue.contains(".") || key.stringValue.contains("/") {
                out += "[\"\(key.stringValue)\"]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out.isEmpty ? "(object)" : out
    }
}
