/// `discovery.k8s.io/v1.EndpointSlice`, as the API sends it; `Model` validates before use.
public struct EndpointSlice: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// IPv4, IPv6 or FQDN (FQDN slices are ignored).
    public var addressType: String?
    public var endpoints: [EndpointSpec]?
    public var ports: [EndpointPortSpec]?

    public init(metadata: ObjectMeta, addressType: String?, endpoints: [EndpointSpec]?, ports: [EndpointPortSpec]?) {
        self.apiVersion = "discovery.k8s.io/v1"; self.kind = "EndpointSlice"
        self.metadata = metadata; self.addressType = addressType; self.endpoints = endpoints; self.ports = ports
    }

    /// The label joining a slice to its Service.
    public static let serviceNameLabel = "kubernetes.io/service-name"
}

public struct EndpointSpec: Codable, Hashable, Sendable {
    public var addresses: [String]?
    public var conditions: EndpointConditions?
    public var hostname: String?
    public var nodeName: String?
    public var zone: String?
    public var hints: EndpointHints?

    public init(addresses: [String]?, conditions: EndpointConditions? = nil, hostname: String? = nil,
                nodeName: String? = nil, zone: String? = nil, hints: EndpointHints? = nil) {
        self.addresses = addresses; self.conditions = conditions; self.hostname = hostname
        self.nodeName = nodeName; self.zone = zone; self.hints = hints
    }
}

/// By the API contract, a missing `ready` or `serving` means true and a missing `terminating` false.
public struct EndpointConditions: Codable, Hashable, Sendable {
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?
    public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
        self.ready = ready; self.serving = serving; self.terminating = terminating
    }
}

public struct EndpointHints: Codable, Hashable, Sendable {
    public var forZones: [NamedHint]?
    public var forNodes: [NamedHint]?
    public init(forZones: [NamedHint]? = nil, forNodes: [NamedHint]? = nil) {
        self.forZones = forZones; self.forNodes = forNodes
    }
}

public struct NamedHint: Codable, Hashable, Sendable {
    public var name: String?
    public init(name: String?) { self.name = name }
}

public struct EndpointPortSpec: Codable, Hashable, Sendable {
    public var name: String?
    public var `protocol`: String?
    public var port: Int?
    public var appProtocol: String?
    public init(name: String? = nil, protocol: String? = nil, port: Int? = nil, appProtocol: String? = nil) {
        self.name = name; self.protocol = `protocol`; self.port = port; self.appProtocol = appProtocol
    }
}
