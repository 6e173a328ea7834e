/// The resources the test API server serves.
public enum APIResource: String, Sendable, CaseIterable, Hashable {
    case services
    case endpointslices
    case nodes

    /// `/api/v1` or `/apis/discovery.k8s.io/v1`.
    var groupVersionPath: String {
        self == .endpointslices ? "/apis/discovery.k8s.io/v1" : "/api/v1"
    }

    /// `v1` or `discovery.k8s.io/v1`.
    var apiVersion: String { self == .endpointslices ? "discovery.k8s.io/v1" : "v1" }

    var kind: String {
        switch self {
        case .services: return "Service"
        case .endpointslices: return "EndpointSlice"
        case .nodes: return "Node"
        }
    }

    var listKind: String { kind + "List" }
    var singular: String { kind.lowercased() }
    var namespaced: Bool { self != .nodes }
    var shortNames: [String] {
        switch self {
        case .services: return ["svc"]
        case .endpointslices: return []
        case .nodes: return ["no"]
        }
    }

    /// The resource for an object's `kind`.
    init?(kind: String) {
        guard let r = APIResource.allCases.first(where: { $0.kind == kind }) else { return nil }
        self = r
    }
}
