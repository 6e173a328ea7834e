import KubeObjects
import Synthetic
import SwitchyardCore

/// Views over a list of objects used by several tests.
struct ObjectIndex {
    var nodes: [Node] = []
    var services: [Service] = []
    var slices: [EndpointSlice] = []

    init(_ objects: [KubeObject]) {
        for o in objects {
            switch o {
            case .node(let n): nodes.append(n)
            case .service(let s): services.append(s)
            case .endpointSlice(let e): slices.append(e)
            }
        }
    }

    /// Every allocated NodePort, health-check ports included.
    var nodePorts: [Int] {
        services.flatMap { s in (s.spec?.ports ?? []).compactMap(\.nodePort) + [s.spec?.healthCheckNodePort].compactMap { $0 } }
    }

    var clusterIPs: [String] { services.flatMap { $0.spec?.clusterIPs ?? [] } }

    func serviceRef(of slice: EndpointSlice) -> String? {
        guard let ns = slice.metadata.namespace, let svc = slice.metadata.labels?[EndpointSlice.serviceNameLabel] else { return nil }
        return ns + "/" + svc
    }

    func ref(_ s: Service) -> String { (s.metadata.namespace ?? "") + "/" + (s.metadata.name ?? "") }
}

extension Array where Element: Hashable {
    var isUnique: Bool { Set(self).count == count }
}
