/// The parts of `metadata` Switchyard reads. Unknown fields are ignored when decoding.
public struct ObjectMeta: Codable, Hashable, Sendable {
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    /// Set (RFC 3339) once deletion was requested; the object is going away. Read for the own Node
    /// (health: a node being deleted is not eligible for load-balancer traffic).
    public var deletionTimestamp: String?

    public init(name: String? = nil, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
                labels: [String: String]? = nil, annotations: [String: String]? = nil, deletionTimestamp: String? = nil) {
        self.name = name; self.namespace = namespace; self.uid = uid; self.resourceVersion = resourceVersion
        self.labels = labels; self.annotations = annotations; self.deletionTimestamp = deletionTimestamp
    }
}

/// `intstr.IntOrString`, used by `targetPort`.
public enum IntOrString: Codable, Hashable, Sendable {
    case int(Int)
    case string(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }
}
