import Model
import SwitchyardCore

/// Small states built directly from `ServicePort` values.
enum ApplyFixtures {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    static func ep(_ s: String, _ port: UInt16, local: Bool = false) -> Endpoint { Endpoint(ip: ip(s), port: port, isLocal: local) }
    static func key(_ name: String, _ fam: IPFamily = .ipv4, _ proto: L4Protocol = .tcp) -> ServicePortKey {
        ServicePortKey(service: ServiceName(namespace: "default", name: name), portName: "http", proto: proto, family: fam)
    }

    static func state(_ ports: [ServicePort]) -> ProxyState {
        let config = NodeConfig(nodeName: "node-a", clusterCIDRs: [CIDR("10.244.0.0/16")!, CIDR("fd00:10:244::/48")!])
        let node = NodeInfo(name: "node-a", addresses: [ip("192.0.2.10"), ip("2001:db8::10")])
        var services: [ServiceName: [ServicePort]] = [:]
        for p in ports { services[p.key.service, default: []].append(p) }
        var s = ProxyState(config: config, node: node)
        for (n, ps) in services { s.services[n] = ServiceState(name: n, ports: ps) }
        return s
    }

    /// A ClusterIP port `10.96.0.N:80` with the given endpoints.
    static func web(_ n: Int, _ eps: [Endpoint], nodePort: UInt16? = nil) -> ServicePort {
        ServicePort(key: key("web-\(n)"), clusterIP: ip("10.96.0.\(n)"), port: 80, nodePort: nodePort,
                    clusterEndpoints: eps, internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
    }

    static func web6(_ n: Int, _ eps: [Endpoint]) -> ServicePort {
        ServicePort(key: key("web6-\(n)", .ipv6), clusterIP: ip("fd00:10:96::\(n)"), port: 80,
                    clusterEndpoints: eps, internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
    }

    /// Three v4 services (one a NodePort) and one v6 service.
    static var base: [ServicePort] {
        [web(1, [ep("10.244.1.1", 8080), ep("10.244.1.2", 8080)]),
         web(2, [ep("10.244.2.1", 8080)], nodePort: 30002),
         web(3, [ep("10.244.3.1", 9000), ep("10.244.3.2", 9000), ep("10.244.3.3", 9000)]),
         web6(1, [ep("fd00:10:244:1::1", 8080)])]
    }
}
