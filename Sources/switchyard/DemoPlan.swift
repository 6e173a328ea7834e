import SwitchyardCore
import TestCluster

/// What the demo builds and sends: pods placed so their addresses match the embedded example
/// cluster (`ExampleCluster`: 10.244.1.x on node-a, 10.244.2.x on node-b), and one probe per feature.
struct DemoPlan {
    /// Pods in address order per node (.2, .3, …), named after the service they back.
    static let pods: [PodSpec] = [
        PodSpec("web-a1", on: .a), PodSpec("web-a2", on: .a), PodSpec("shop-a", on: .a), PodSpec("api-a", on: .a),
        PodSpec("client-pod", on: .a), PodSpec("spare-a", on: .a), PodSpec("dual-a", on: .a),
        PodSpec("web-b", on: .b), PodSpec("dns-b", on: .b), PodSpec("shop-b", on: .b), PodSpec("api-b", on: .b),
        PodSpec("legacy-b", on: .b), PodSpec("local-b", on: .b),
    ]
    /// Pods that only send (no echo server).
    static let quietPods: Set<String> = ["client-pod", "spare-a"]
    /// Ports every serving pod listens on (the example's target ports).
    static let tcpPorts: [UInt16] = [8080, 8443, 5353]
    static let udpPorts: [UInt16] = [5353]
    /// A second client address outside the api service's loadBalancerSourceRanges.
    static let outsider = IPAddress("198.51.100.9")!
    static let clusterCIDRs = "10.244.0.0/16,fd00:10:244::/48"

    /// What a probe row should show.
    enum Expect: String { case answered, refused, dropped }

    /// Who sends a probe.
    enum Source { case pod, node, client, outsider }

    /// One table row: `count` probes from `source` to `address`:`port`.
    struct Probe {
        var service: String
        var source: Source
        var proto: L4Protocol
        var address: IPAddress
        var port: UInt16
        var count: Int
        var expect: Expect
        var note: String
    }

    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    static let probes: [Probe] = [
        Probe(service: "web", source: .pod, proto: .tcp, address: ip("10.96.0.10"), port: 80, count: 6, expect: .answered,
              note: "ClusterIP, spread over 3 ready pods, pod source kept"),
        Probe(service: "web", source: .node, proto: .tcp, address: ip("10.96.0.10"), port: 80, count: 4, expect: .answered,
              note: "from node-a itself"),
        Probe(service: "web", source: .client, proto: .tcp, address: ip("10.96.0.10"), port: 80, count: 4, expect: .answered,
              note: "from outside the cluster CIDR: masqueraded"),
        Probe(service: "web", source: .pod, proto: .tcp, address: ip("10.96.0.10"), port: 81, count: 1, expect: .refused,
              note: "a port the service does not define"),
        Probe(service: "dns", source: .pod, proto: .udp, address: ip("10.96.0.53"), port: 53, count: 2, expect: .answered,
              note: "UDP"),
        Probe(service: "dns", source: .pod, proto: .tcp, address: ip("10.96.0.53"), port: 53, count: 1, expect: .answered,
              note: "TCP on the same port number"),
        Probe(service: "shop", source: .client, proto: .tcp, address: ip("192.0.2.10"), port: 30080, count: 4, expect: .answered,
              note: "NodePort, eTP=Local: node-a's pod only, client source kept"),
        Probe(service: "shop", source: .pod, proto: .tcp, address: ip("10.96.0.20"), port: 80, count: 4, expect: .answered,
              note: "its ClusterIP uses both nodes' pods"),
        Probe(service: "api", source: .client, proto: .tcp, address: ip("203.0.113.100"), port: 443, count: 4, expect: .answered,
              note: "LoadBalancer IP, source in 203.0.113.0/24; ClientIP affinity: one pod"),
        Probe(service: "api", source: .outsider, proto: .tcp, address: ip("203.0.113.100"), port: 443, count: 1, expect: .dropped,
              note: "source 198.51.100.9 outside loadBalancerSourceRanges"),
        Probe(service: "api", source: .client, proto: .tcp, address: ip("192.0.2.10"), port: 30443, count: 2, expect: .answered,
              note: "its NodePort (eTP=Cluster: masqueraded)"),
        Probe(service: "legacy", source: .client, proto: .tcp, address: ip("198.51.100.20"), port: 8080, count: 1, expect: .answered,
              note: "externalIP"),
        Probe(service: "empty", source: .pod, proto: .tcp, address: ip("10.96.0.50"), port: 80, count: 1, expect: .refused,
              note: "no endpoints: rejected"),
        Probe(service: "node-local", source: .pod, proto: .tcp, address: ip("10.96.0.60"), port: 80, count: 1, expect: .dropped,
              note: "iTP=Local with no endpoint on node-a"),
        Probe(service: "dual", source: .pod, proto: .tcp, address: ip("10.96.0.70"), port: 80, count: 1, expect: .answered,
              note: "dual stack, IPv4"),
        Probe(service: "dual", source: .pod, proto: .tcp, address: ip("fd00:10:96::70"), port: 80, count: 1, expect: .answered,
              note: "dual stack, IPv6"),
        Probe(service: "dual", source: .client, proto: .tcp, address: ip("fd00:10:96::70"), port: 80, count: 1, expect: .answered,
              note: "IPv6 from the client"),
    ]
}
