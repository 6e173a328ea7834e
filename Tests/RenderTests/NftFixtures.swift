import Foundation
import Model
import SwitchyardCore
@testable import RenderNftables

/// Small states covering every nftables feature, built directly from `ServicePort` values.
enum NftFixtures {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    static func ep(_ s: String, _ port: UInt16, local: Bool = false) -> Endpoint { Endpoint(ip: ip(s), port: port, isLocal: local) }
    static func key(_ ns: String, _ name: String, _ port: String = "", _ proto: L4Protocol = .tcp, _ fam: IPFamily = .ipv4) -> ServicePortKey {
        ServicePortKey(service: ServiceName(namespace: ns, name: name), portName: port, proto: proto, family: fam)
    }

    static func state(_ ports: [ServicePort], masqueradeAll: Bool = false, nodePortAddresses: [CIDR]? = nil) -> ProxyState {
        let config = NodeConfig(nodeName: "node-a", clusterCIDRs: [CIDR("10.244.0.0/16")!, CIDR("fd00:10:244::/48")!],
                                masqueradeAll: masqueradeAll, nodePortAddresses: nodePortAddresses)
        let node = NodeInfo(name: "node-a", addresses: [ip("192.0.2.10"), ip("2001:db8::10")])
        var services: [ServiceName: [ServicePort]] = [:]
        for p in ports { services[p.key.service, default: []].append(p) }
        var s = ProxyState(config: config, node: node)
        for (n, ps) in services { s.services[n] = ServiceState(name: n, ports: ps) }
        return s
    }

    /// IPv4 ports: plain ClusterIP (2 eps), UDP, SCTP, NodePort+LB (eTP=Cluster, source ranges),
    /// eTP=Local with short-circuit and local endpoint, eTP=Local without local endpoints (drop),
    /// no endpoints (reject), iTP=Local without local endpoints (drop), ClientIP affinity.
    static var v4Ports: [ServicePort] {
        let a = ep("10.244.1.5", 8080), b = ep("10.244.2.7", 8080, local: true)
        return [
            ServicePort(key: key("default", "web", "http"), clusterIP: ip("10.96.0.10"), port: 80,
                        clusterEndpoints: [a, b], localEndpoints: [b], internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
            ServicePort(key: key("kube-system", "dns", "dns", .udp), clusterIP: ip("10.96.0.53"), port: 53,
                        clusterEndpoints: [ep("10.244.1.9", 53)], internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
            ServicePort(key: key("default", "sig", "", .sctp), clusterIP: ip("10.96.0.20"), port: 3868,
                        clusterEndpoints: [a], internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
            ServicePort(key: key("shop", "lb", "https"), clusterIP: ip("10.96.1.1"), port: 443, nodePort: 30443,
                        externalIPs: [ip("198.51.100.7")], loadBalancerIPs: [ip("203.0.113.5")],
                        loadBalancerSourceRanges: [CIDR("192.0.2.0/24")!, CIDR("198.51.100.0/25")!],
                        clusterEndpoints: [a, b, ep("10.244.3.3", 8443)], localEndpoints: [b],
                        internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
            ServicePort(key: key("shop", "local", "http"), clusterIP: ip("10.96.1.2"), port: 80, nodePort: 30080,
                        loadBalancerIPs: [ip("203.0.113.6")], externalPolicyLocal: true, healthCheckNodePort: 31000,
                        clusterEndpoints: [a, b], localEndpoints: [b],
                        internalTraffic: .forward(.cluster), externalTraffic: .forward(.local)),
            ServicePort(key: key("shop", "remote", "http"), clusterIP: ip("10.96.1.3"), port: 80, nodePort: 30081,
                        externalPolicyLocal: true, clusterEndpoints: [a],
                        internalTraffic: .forward(.cluster), externalTraffic: .drop),
            ServicePort(key: key("shop", "empty", "http"), clusterIP: ip("10.96.1.4"), port: 80, nodePort: 30082,
                        internalTraffic: .reject, externalTraffic: .reject),
            ServicePort(key: key("shop", "itp", "http"), clusterIP: ip("10.96.1.5"), port: 80, internalPolicyLocal: true,
                        clusterEndpoints: [a], internalTraffic: .drop, externalTraffic: .forward(.cluster)),
            ServicePort(key: key("shop", "sticky", "http"), clusterIP: ip("10.96.1.6"), port: 80, nodePort: 30083, affinityTimeout: 10800,
                        clusterEndpoints: [a, b], internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
        ]
    }

    static var v6Ports: [ServicePort] {
        let a = ep("fd00:10:244:1::5", 8080), b = ep("fd00:10:244:2::7", 8080, local: true)
        return [
            ServicePort(key: key("default", "web", "http", .tcp, .ipv6), clusterIP: ip("fd00:10:96::10"), port: 80, nodePort: 30090,
                        loadBalancerIPs: [ip("2001:db8:1::5")], loadBalancerSourceRanges: [CIDR("2001:db8::/64")!],
                        clusterEndpoints: [a, b], localEndpoints: [b], internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
            ServicePort(key: key("default", "dns", "dns", .udp, .ipv6), clusterIP: ip("fd00:10:96::53"), port: 53,
                        internalTraffic: .reject, externalTraffic: .reject),
            ServicePort(key: key("shop", "local", "http", .tcp, .ipv6), clusterIP: ip("fd00:10:96::20"), port: 80, nodePort: 30091,
                        externalIPs: [ip("2001:db8:2::9")], affinityTimeout: 60, externalPolicyLocal: true,
                        clusterEndpoints: [a, b], localEndpoints: [b], internalTraffic: .forward(.cluster), externalTraffic: .forward(.local)),
        ]
    }

    static var full: ProxyState { state(v4Ports + v6Ports) }

    /// Path of a golden file in the source tree.
    static func goldenURL(_ name: String, file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Golden/nft/\(name)")
    }
}
