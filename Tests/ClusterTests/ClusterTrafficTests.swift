import SwitchyardCore
import TestCluster
import Testing

/// Real traffic through a namespace cluster (root only; CI runs as root).
@Suite(.enabled(if: TestCluster.isSupported(), "needs root and iproute2"))
struct ClusterTrafficTests {
    static let tcpPort: UInt16 = 8080
    static let udpPort: UInt16 = 5353
    static let closedPort: UInt16 = 9

    /// Starts echo servers in every pod.
    func serveEverywhere(_ cluster: TestCluster) throws {
        for pod in cluster.pods { try cluster.startEchoServer(in: pod, tcp: [Self.tcpPort], udp: [Self.udpPort]) }
    }

    @Test("pod to pod across nodes: the other pod answers and sees the caller's own address",
          arguments: [IPFamily.ipv4, .ipv6])
    func podToPodAcrossNodes(family: IPFamily) throws {
        try withTestCluster { cluster in
            try serveEverywhere(cluster)
            let a = try #require(cluster.pod(named: "pod-a1")), b = try #require(cluster.pod(named: "pod-b1"))
            for (from, to) in [(a, b), (b, a)] {
                for (proto, port) in [(L4Protocol.tcp, Self.tcpPort), (.udp, Self.udpPort)] {
                    let result = try cluster.probeOnce(from: from, proto, try #require(to.address(family)), port)
                    #expect(result.outcome == .answered, "\(proto) \(from.name)→\(to.name): \(result)")
                    #expect(result.answeredBy == to.name)
                    #expect(result.sourceSeen?.address == from.address(family))
                }
            }
        }
    }

    @Test("client reaches pods on both nodes through node-a, unNATed", arguments: [IPFamily.ipv4, .ipv6])
    func clientToPodsViaNodeA(family: IPFamily) throws {
        try withTestCluster { cluster in
            try serveEverywhere(cluster)
            for pod in cluster.pods {
                for (proto, port) in [(L4Protocol.tcp, Self.tcpPort), (.udp, Self.udpPort)] {
                    let results = try cluster.probe(from: cluster.client, proto, try #require(pod.address(family)), port, count: 3)
                    #expect(results.count == 3)
                    for result in results {
                        #expect(result.outcome == .answered, "\(proto) client→\(pod.name): \(result)")
                        #expect(result.answeredBy == pod.name)
                        #expect(result.sourceSeen?.address == cluster.client.address(family))
                    }
                    #expect(Set(results.compactMap(\.sourceSeen?.port)).count == 3, "each attempt uses a fresh source port")
                }
            }
        }
    }

    @Test("a closed port is refused (TCP RST, UDP port-unreachable)", arguments: [IPFamily.ipv4, .ipv6])
    func closedPortRefused(family: IPFamily) throws {
        try withTestCluster { cluster in
            try serveEverywhere(cluster)
            let b = try #require(cluster.pod(named: "pod-b1"))
            for proto in [L4Protocol.tcp, .udp] {
                let result = try cluster.probeOnce(from: cluster.client, proto, try #require(b.address(family)), Self.closedPort)
                #expect(result.outcome == .refused, "\(proto): \(result)")
                #expect(result.answeredBy == nil)
            }
        }
    }

    @Test("an unrouted service address is unreachable; a blackholed one times out", arguments: [IPFamily.ipv4, .ipv6])
    func blackholeTimesOut(family: IPFamily) throws {
        try withTestCluster { cluster in
            let target = try #require(IPAddress(family == .ipv4 ? "10.96.0.99" : "fd00:10:96::99"))
            let before = try cluster.probeOnce(from: cluster.client, .tcp, target, 80, timeout: .milliseconds(200))
            #expect(before.outcome == .unreachable, "the upstream router has no route: \(before)")
            let fromNode = try cluster.probeOnce(from: cluster.node(.a), .udp, target, 80, timeout: .milliseconds(200))
            #expect(fromNode.outcome == .unreachable, "node-a's default route leads to the router: \(fromNode)")
            try cluster.ip(in: cluster.node(.a), ["route", "add", "blackhole", "\(target)"])
            for proto in [L4Protocol.tcp, .udp] {
                let result = try cluster.probeOnce(from: cluster.client, proto, target, 80, timeout: .milliseconds(200))
                #expect(result.outcome == .timeout, "\(proto): \(result)")
                #expect(result.latency >= .milliseconds(200))
            }
        }
    }

    @Test("an IPv4-only cluster carries IPv4 traffic and has no IPv6 addresses")
    func ipv4Only() throws {
        try withTestCluster(TestClusterSpec(pods: [PodSpec("solo", on: .b)], ipv6: false)) { cluster in
            let pod = try #require(cluster.pod(named: "solo"))
            #expect(pod.ipv6 == nil && cluster.client.ipv6 == nil)
            try cluster.startEchoServer(in: pod, udp: [Self.udpPort])
            let result = try cluster.probeOnce(from: cluster.client, .udp, pod.ipv4, Self.udpPort)
            #expect(result.answeredBy == "solo" && result.sourceSeen?.address == cluster.client.ipv4, "\(result)")
            let addresses = try cluster.run(in: pod, ["ip", "-6", "addr", "show", "scope", "global"]).check()
            #expect(addresses.stdout.isEmpty)
        }
    }

    @Test("nodes reach each other and the client directly on the bridge")
    func nodesOnTheBridge() throws {
        try withTestCluster(TestClusterSpec(pods: [])) { cluster in
            let nodeB = cluster.node(.b)
            try cluster.startEchoServer(in: nodeB, name: "node-b", tcp: [Self.tcpPort])
            for family in IPFamily.allCases {
                for source in [cluster.node(.a) as any InNetworkNamespace, cluster.client] {
                    let result = try cluster.probeOnce(from: source, .tcp, try #require(nodeB.address(family)), Self.tcpPort)
                    #expect(result.outcome == .answered && result.answeredBy == "node-b", "\(family) from \(source.namespace): \(result)")
                }
            }
        }
    }
}
