import Conntrack
import Diff
import Model
import SwitchyardCore

/// Service ports and helpers for the planner and kernel tests.
enum PF {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    static func ep(_ s: String, _ port: UInt16 = 53, local: Bool = false) -> Endpoint { Endpoint(ip: ip(s), port: port, isLocal: local) }
    static func addr(_ s: String, _ port: UInt16) -> ConntrackAddress { ConntrackAddress(ip: ip(s), port: port) }

    /// A service port; the decisions follow the endpoints like the model's would.
    static func port(_ name: String = "dns", proto: L4Protocol = .udp, family: IPFamily = .ipv4, clusterIP: String = "10.96.0.10",
                     port: UInt16 = 53, nodePort: UInt16? = nil, externalIPs: [String] = [], lbIPs: [String] = [],
                     endpoints: [Endpoint] = [], local: [Endpoint] = []) -> ServicePort {
        let key = ServicePortKey(service: ServiceName(namespace: "default", name: name), portName: "p", proto: proto, family: family)
        let decision: TrafficDecision = endpoints.isEmpty && local.isEmpty ? .reject : .forward(.cluster)
        return ServicePort(key: key, clusterIP: ip(clusterIP), port: port, nodePort: nodePort,
                           externalIPs: externalIPs.map(ip), loadBalancerIPs: lbIPs.map(ip),
                           clusterEndpoints: endpoints.sorted(), localEndpoints: local.sorted(),
                           internalTraffic: decision, externalTraffic: decision)
    }

    static func change(_ old: ServicePort, _ new: ServicePort) -> StateDiff { StateDiff(changed: [PortChange(old: old, new: new)]) }

    static func state(_ ports: [ServicePort]) -> ProxyState {
        var s = ProxyState(config: NodeConfig(nodeName: "node-a"))
        var byService: [ServiceName: [ServicePort]] = [:]
        for p in ports { byService[p.key.service, default: []].append(p) }
        for (name, ps) in byService { s.services[name] = ServiceState(name: name, ports: ps) }
        return s
    }

    /// A UDP entry `client → dst` translated to `replySource` (the reply goes back to the client).
    static func entry(client: ConntrackAddress, dst: ConntrackAddress, replySource: ConntrackAddress, proto: UInt8 = 17) -> ConntrackEntry {
        ConntrackEntry(family: client.ip.family, proto: proto, original: ConntrackTuple(source: client, destination: dst),
                       reply: ConntrackTuple(source: replySource, destination: client))
    }

    static func deleted(_ entry: ConntrackEntry, by plan: [ConntrackDeletion]) -> Bool { plan.contains { $0.matches(entry) } }
}
