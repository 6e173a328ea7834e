/// One object Switchyard understands.
public enum KubeObject: Hashable, Sendable {
    case service(Service)
    case endpointSlice(EndpointSlice)
    case node(Node)

    /// The object's identity.
    public var ref: ObjectRef {
        switch self {
        case .service(let s): return ObjectRef(kind: .service, namespace: s.metadata.namespace ?? "", name: s.metadata.name ?? "")
        case .endpointSlice(let e): return ObjectRef(kind: .endpointSlice, namespace: e.metadata.namespace ?? "", name: e.metadata.name ?? "")
        case .node(let n): return ObjectRef(kind: .node, namespace: "", name: n.metadata.name ?? "")
        }
    }
}

/// The kinds Switchyard understands.
public enum ObjectKind: String, Hashable, Sendable, CaseIterable {
    case service = "Service"
    case endpointSlice = "EndpointSlice"
    case node = "Node"
}

/// Identity of an object: kind, namespace (empty for nodes), name.
public struct ObjectRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var namespace: String
    public var name: String
    public init(kind: ObjectKind, namespace: String, name: String) {
        self.kind = kind; self.namespace = namespace; self.name = name
    }
    public var description: String { namespace.isEmpty ? "\(kind.rawValue) \(name)" : "\(kind.rawValue) \(namespace)/\(name)" }
    public static func < (a: ObjectRef, b: ObjectRef) -> Bool {
        (a.kind.rawValue, a.namespace, a.name) < (b.kind.rawValue, b.namespace, b.name)
    }
}

/// A change to the set of objects: what a watch stream or a manifest load produces.
public enum ObjectEvent: Hashable, Sendable {
    /// The object was created or replaced.
    case upsert(KubeObject)
    /// The object is gone.
    case delete(ObjectRef)
}
