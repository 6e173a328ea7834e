import Diff
import Model
import SwitchyardCore

/// Hand-built proxy states for the iptables renderer tests (built straight from `ServicePort`).
enum IptFixtures {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    static func cidr(_ s: String) -> CIDR { CIDR(s)! }
    static func ep(_ s: String, _ port: UInt16, local: Bool = false) -> Endpoint { Endpoint(ip: ip(s), port: port, isLocal: local) }
    static func key(_ ns: String, _ name: String, _ port: String, _ proto: L4Protocol = .tcp, _ fam: IPFamily = .ipv4) -> ServicePortKey {
        ServicePortKey(service: ServiceName(namespace: ns, name: name), portName: port, proto: proto, family: fam)
    }

    static let config = NodeConfig(nodeName: "node-a", clusterCIDRs: [cidr("10.244.0.0/16"), cidr("fd00:10:244::/48")])
    static let node = NodeInfo(name: "node-a", addresses: [ip("192.0.2.10"), ip("2001:db8::10")])

    static func state(_ ports: [ServicePort], config: NodeConfig = config, node: NodeInfo = node) -> ProxyState {
        var s = ProxyState(config: config, node: node)
        var byService: [ServiceName: [ServicePort]] = [:]
        for p in ports { byService[p.key.service, default: []].append(p) }
        for (n, ps) in byService { s.services[n] = ServiceState(name: n, ports: ps) }
        return s
    }

    /// One port per feature, IPv4 and IPv6.
    static var everyFeature: [ServicePort] {
        var out: [ServicePort] = []
        for fam in IPFamily.allCases {
            let v4 = fam == .ipv4
            func a(_ v4s: String, _ v6s: String) -> IPAddress { ip(v4 ? v4s : v6s) }
            func e(_ v4s: String, _ v6s: String, _ port: UInt16, local: Bool = false) -> Endpoint { Endpoint(ip: a(v4s, v6s), port: port, isLocal: local) }
            let webEps = [e("10.244.1.5", "fd00:10:244:1::5", 8080, local: true), e("10.244.2.6", "fd00:10:244:2::6", 8080), e("10.244.3.7", "fd00:10:244:3::7", 8080)]
            // ClusterIP + NodePort + externalIP, eTP=Cluster.
            out.append(ServicePort(key: key("default", "web", "http", .tcp, fam), clusterIP: a("10.96.0.10", "fd00:10:96::a"), port: 80, nodePort: 30080,
                                   externalIPs: [a("203.0.113.10", "2001:db8:1::10")], clusterEndpoints: webEps, localEndpoints: [webEps[0]],
                                   internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)))
            // UDP with ClientIP affinity.
            let dnsEps = [e("10.244.1.8", "fd00:10:244:1::8", 53, local: true), e("10.244.2.9", "fd00:10:244:2::9", 53)]
            out.append(ServicePort(key: key("kube-system", "dns", "dns", .udp, fam), clusterIP: a("10.96.0.53", "fd00:10:96::35"), port: 53,
                                   affinityTimeout: 10800, clusterEndpoints: dnsEps, localEndpoints: [dnsEps[0]],
                                   internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)))
            // LoadBalancer, eTP=Local with source ranges and local endpoints (short-circuit).
            let lbEps = [e("10.244.1.10", "fd00:10:244:1::a", 8443, local: true), e("10.244.2.11", "fd00:10:244:2::b", 8443)]
            out.append(ServicePort(key: key("default", "lb-local", "https", .tcp, fam), clusterIP: a("10.96.0.20", "fd00:10:96::14"), port: 443, nodePort: 30443,
                                   loadBalancerIPs: [a("198.51.100.20", "2001:db8:2::20")],
                                   loadBalancerSourceRanges: [cidr(v4 ? "203.0.113.0/24" : "2001:db8:3::/48"), cidr(v4 ? "192.0.2.0/24" : "2001:db8::/64")],
                                   externalPolicyLocal: true, healthCheckNodePort: 32000, clusterEndpoints: lbEps, localEndpoints: [lbEps[0]],
                                   internalTraffic: .forward(.cluster), externalTraffic: .forward(.local)))
            // No endpoints at all: reject everywhere.
            out.append(ServicePort(key: key("default", "empty", "", .tcp, fam), clusterIP: a("10.96.0.30", "fd00:10:96::1e"), port: 8000, nodePort: 30090,
                                   externalIPs: [a("203.0.113.30", "2001:db8:1::30")], loadBalancerIPs: [a("198.51.100.30", "2001:db8:2::30")]))
            // eTP=Local without local endpoints (external drop, short-circuit to cluster), SCTP.
            let sctpEps = [e("10.244.2.12", "fd00:10:244:2::c", 9000)]
            out.append(ServicePort(key: key("default", "nolocal", "sctp", .sctp, fam), clusterIP: a("10.96.0.40", "fd00:10:96::28"), port: 9000, nodePort: 30100,
                                   loadBalancerIPs: [a("198.51.100.40", "2001:db8:2::40")], externalPolicyLocal: true,
                                   clusterEndpoints: sctpEps, internalTraffic: .forward(.cluster), externalTraffic: .drop))
            // iTP=Local and eTP=Local with local endpoints: short-circuit needs its own cluster chain.
            let bothEps = [e("10.244.1.13", "fd00:10:244:1::d", 7000, local: true), e("10.244.2.14", "fd00:10:244:2::e", 7000)]
            out.append(ServicePort(key: key("default", "both-local", "p", .tcp, fam), clusterIP: a("10.96.0.50", "fd00:10:96::32"), port: 7000, nodePort: 30200,
                                   externalPolicyLocal: true, internalPolicyLocal: true, clusterEndpoints: bothEps, localEndpoints: [bothEps[0]],
                                   internalTraffic: .forward(.local), externalTraffic: .forward(.local)))
            // iTP=Local without local endpoints: internal drop.
            out.append(ServicePort(key: key("default", "itp-drop", "p", .udp, fam), clusterIP: a("10.96.0.60", "fd00:10:96::3c"), port: 5000,
                                   internalPolicyLocal: true, clusterEndpoints: [e("10.244.2.15", "fd00:10:244:2::f", 5000)],
                                   internalTraffic: .drop, externalTraffic: .forward(.cluster)))
        }
        return out
    }

    /// A diff between two states, port by port (the real diff lives in another module).
    static func diff(_ old: ProxyState, _ new: ProxyState) -> StateDiff {
        var o: [ServicePortKey: ServicePort] = [:], n: [ServicePortKey: ServicePort] = [:]
        for p in old.allPorts { o[p.key] = p }
        for p in new.allPorts { n[p.key] = p }
        var d = StateDiff()
        for (k, p) in n.sorted(by: { $0.key < $1.key }) {
            if let q = o[k] { if q != p { d.changed.append(PortChange(old: q, new: p)) } } else { d.added.append(p) }
        }
        for (k, p) in o.sorted(by: { $0.key < $1.key }) where n[k] == nil { d.removed.append(p) }
        d.requiresFullSync = old.config != new.config || old.node != new.node
        return d
    }
}
