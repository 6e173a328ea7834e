import KubeObjects
import Model
import SwitchyardCore

/// Builders for the objects the tests feed the model.
enum Fx {
    static let nodeName = "node-a"
    static let config = NodeConfig(nodeName: nodeName)

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }
    static func cidr(_ text: String) -> CIDR { CIDR(text)! }

    static func service(_ name: String, namespace: String? = "default", type: String? = nil,
                        clusterIPs: [String] = ["10.96.0.10"],
                        ports: [ServicePortSpec]? = [ServicePortSpec(name: "http", protocol: "TCP", port: 80)],
                        labels: [String: String]? = nil, annotations: [String: String]? = nil,
                        status: ServiceStatus? = nil, edit: (inout ServiceSpec) -> Void = { _ in }) -> Service {
        var spec = ServiceSpec(type: type, clusterIP: clusterIPs.first, clusterIPs: clusterIPs, ports: ports)
        edit(&spec)
        return Service(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels, annotations: annotations),
                       spec: spec, status: status)
    }

    static func slice(_ name: String, service: String, namespace: String = "default", addressType: String = "IPv4",
                      ports: [EndpointPortSpec] = [EndpointPortSpec(name: "http", protocol: "TCP", port: 8080)],
                      endpoints: [EndpointSpec]) -> EndpointSlice {
        EndpointSlice(metadata: ObjectMeta(name: name, namespace: namespace,
                                           labels: [EndpointSlice.serviceNameLabel: service]),
                      addressType: addressType, endpoints: endpoints, ports: ports)
    }

    static func ep(_ address: String, node: String? = nil, ready: Bool? = nil, serving: Bool? = nil,
                   terminating: Bool? = nil, zones: [String]? = nil, nodes: [String]? = nil) -> EndpointSpec {
        let hints = (zones == nil && nodes == nil) ? nil
            : EndpointHints(forZones: zones?.map { NamedHint(name: $0) }, forNodes: nodes?.map { NamedHint(name: $0) })
        return EndpointSpec(addresses: [address], conditions: EndpointConditions(ready: ready, serving: serving, terminating: terminating),
                            nodeName: node, hints: hints)
    }

    static func node(_ name: String = nodeName, zone: String? = nil, addresses: [(String, String)] = []) -> Node {
        Node(metadata: ObjectMeta(name: name, labels: zone.map { [Node.zoneLabel: $0] }),
             status: NodeStatus(addresses: addresses.map { NodeAddress(type: $0.0, address: $0.1) }))
    }

    static func sn(_ name: String, _ namespace: String = "default") -> ServiceName { ServiceName(namespace: namespace, name: name) }

    /// A tracker with `objects` applied and committed.
    static func tracker(_ objects: [KubeObject], config: NodeConfig = config) -> (ProxyStateTracker, ProxyChanges, [Diagnostic]) {
        var t = ProxyStateTracker(config: config)
        let d = t.apply(objects.map { .upsert($0) })
        let c = t.commit()
        return (t, c, d)
    }

    /// Ports of one service in the state, sorted by key.
    static func ports(_ state: ProxyState, _ name: String, _ namespace: String = "default") -> [ServicePort] {
        state.services[sn(name, namespace)]?.ports ?? []
    }

    static func endpointIPs(_ eps: [Endpoint]) -> [String] { eps.map(\.description) }
}
