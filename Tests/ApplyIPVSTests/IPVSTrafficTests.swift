import Model
import SwitchyardCore
import TestCluster
import Testing
@testable import ApplyIPVS

/// Real traffic through IPVS mode in the test cluster, inside the UML guest: node-a runs the
/// applier (in its namespace), pods answer with their names. Lean on purpose (UML is slow): one
/// cluster, one sync, one or a few probes per feature.
///
/// IPVS mode cannot do, and this suite therefore does not test (see IPVSRenderer's documentation):
/// the eTP=Local short-circuit for pods reaching an external address (one real-server list per
/// virtual server), and dropping traffic to unallocated service-CIDR addresses.
@Suite(.serialized, .enabled(if: UMLGuest.hasIPVS, "needs the UML guest (scripts/test-ipvs)"))
struct IPVSTrafficTests {
    typealias F = IPVSFixtures

    static func state() -> ProxyState {
        let a = F.ep("10.244.1.2", 8080, local: true), b = F.ep("10.244.2.2", 8080)
        let node = NodeInfo(name: "node-a", zone: nil, addresses: [F.ip("192.0.2.10")])
        return F.state([
            F.port(F.key("t", "web"), clusterIP: "10.96.0.20", port: 80, nodePort: 30080, externalIPs: ["198.51.100.10"], endpoints: [a, b]),
            F.port(F.key("t", "lb-closed"), clusterIP: "10.96.0.30", port: 80, lbIPs: ["198.51.100.20"], ranges: ["192.0.2.0/24"], endpoints: [a, b]),
            F.port(F.key("t", "lb-open"), clusterIP: "10.96.0.31", port: 80, lbIPs: ["198.51.100.21"], ranges: ["203.0.113.0/24"], endpoints: [a, b]),
            F.port(F.key("t", "sticky"), clusterIP: "10.96.0.40", port: 80, affinity: 10800, endpoints: [a, b]),
            F.port(F.key("t", "empty"), clusterIP: "10.96.0.50", port: 80, endpoints: []),
            F.port(F.key("t", "etp-local"), clusterIP: "10.96.0.60", port: 80, nodePort: 30060, eTPLocal: true, endpoints: [a, b]),
            F.port(F.key("t", "etp-remote"), clusterIP: "10.96.0.61", port: 80, nodePort: 30070, eTPLocal: true, endpoints: [b]),
            F.port(F.key("t", "itp-local"), clusterIP: "10.96.0.70", port: 80, iTPLocal: true, endpoints: [a, b]),
        ], config: F.config(families: [.ipv4]), node: node)
    }

    @Test func servicesCarryTrafficThroughNodeA() async throws {
        try await withTestCluster(TestClusterSpec(ipv6: false)) { cluster in
            let nodeA = cluster.node(.a)
            let podA = try #require(cluster.pod(named: "pod-a1")), podB = try #require(cluster.pod(named: "pod-b1"))
            try cluster.startEchoServer(in: podA, tcp: [8080])
            try cluster.startEchoServer(in: podB, tcp: [8080])
            try UMLGuest.sh(cluster.client.namespace.name, "ip route add 198.51.100.0/24 via 192.0.2.10")
            let applier = IPVSApplier(netns: nodeA.namespace.name, iptables: UMLGuest.iptables)
            _ = try await applier.applyFull(Self.state())
            let client = cluster.client
            func probe(_ from: some InNetworkNamespace, _ ip: String, _ port: UInt16, count: Int = 1) throws -> [ProbeResult] {
                try cluster.probe(from: from, .tcp, F.ip(ip), port, timeout: .milliseconds(700), count: count)
            }
            func answered(_ r: [ProbeResult]) -> Bool { r.allSatisfy { $0.outcome == .answered } }

            // ClusterIP from a pod of node-a (both endpoints, including itself: hairpin) and from the client.
            let fromPod = try probe(podA, "10.96.0.20", 80, count: 4)
            #expect(answered(fromPod), "\(fromPod)")
            #expect(Set(fromPod.compactMap(\.answeredBy)) == ["pod-a1", "pod-b1"], "rr over both, hairpin to itself works")
            #expect(answered(try probe(client, "10.96.0.20", 80)))
            // NodePort and externalIP from outside.
            #expect(answered(try probe(client, "192.0.2.10", 30080)))
            #expect(answered(try probe(client, "198.51.100.10", 80)))
            // LoadBalancer source ranges.
            #expect(try probe(client, "198.51.100.20", 80).first?.outcome == .timeout, "client not in the ranges: dropped")
            #expect(answered(try probe(client, "198.51.100.21", 80)))
            // ClientIP affinity.
            let sticky = try probe(client, "10.96.0.40", 80, count: 4)
            #expect(answered(sticky) && Set(sticky.compactMap(\.answeredBy)).count == 1, "\(sticky)")
            // No endpoints: rejected.
            #expect(try probe(client, "10.96.0.50", 80).first?.outcome == .refused)
            // eTP=Local: local endpoint only, client source kept; no local endpoint: dropped.
            let local = try probe(client, "192.0.2.10", 30060, count: 2)
            #expect(answered(local) && local.allSatisfy { $0.answeredBy == "pod-a1" && $0.sourceSeen?.address == client.ipv4 }, "\(local)")
            #expect(try probe(client, "192.0.2.10", 30070).first?.outcome == .timeout)
            // Masquerade for eTP=Cluster traffic from outside: the pod sees a node address, not the client.
            let masq = try probe(client, "192.0.2.10", 30080, count: 2)
            #expect(masq.allSatisfy { $0.sourceSeen?.address != client.ipv4 }, "\(masq)")
            // iTP=Local from a pod of node-a: only the local endpoint.
            let itp = try probe(podA, "10.96.0.70", 80, count: 3)
            #expect(answered(itp) && itp.allSatisfy { $0.answeredBy == "pod-a1" }, "\(itp)")
            // A port the service does not define on a ClusterIP: rejected by the access filter.
            #expect(try probe(client, "10.96.0.20", 81).first?.outcome == .refused)
            try await applier.cleanup()
            #expect(try probe(client, "10.96.0.20", 80).first?.outcome != .answered)
        }
    }
}
