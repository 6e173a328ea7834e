import Conntrack
import Diff
import Foundation
import Model
import SwitchyardCore
import TestCluster
import Testing

extension TrafficTests {
    @Suite("UDP conntrack cleanup") struct ConntrackCleanup {
        static let sourcePort: UInt16 = 40140
        static var socatAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/socat") }

        /// One datagram from `pod` to `vip`:53 from a FIXED source port (so every send hits the
        /// same conntrack entry, like a statsd or DNS client reusing its socket). Returns the
        /// answering pod's name, or nil when nothing came back within a second.
        static func send(_ lab: ProxyLab, from pod: ClusterPod, to vip: IPAddress) throws -> String? {
            let r = try lab.cluster.run(in: pod, ["/usr/bin/socat", "-t", "1", "-",
                                                  "UDP4:\(vip):53,sourceport=\(sourcePort),reuseaddr"],
                                        input: "probe\n", timeout: .seconds(10))
            return r.stdout.split(separator: " ").first.map(String.init)
        }

        /// The model's view of the service, for the planner (what the daemon's diff would carry).
        static func port(_ vip: IPAddress, endpoint: ClusterPod) -> ServicePort {
            let key = ServicePortKey(service: ServiceName(namespace: "traffic", name: "stats"), portName: "dns", proto: .udp, family: .ipv4)
            return ServicePort(key: key, clusterIP: vip, port: 53,
                               clusterEndpoints: [Endpoint(ip: endpoint.ipv4, port: ProxyLab.podPort, isLocal: endpoint.node == .a)],
                               internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
        }

        @Test("a client reusing its source port is stuck on a replaced endpoint until the cleaner runs",
              .enabled(if: socatAvailable, "needs socat"), arguments: TrafficBackend.tested)
        func replacedEndpoint(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let vip = Addr.svc(140), client = lab.pod("a2"), b1 = lab.pod("b1"), b2 = lab.pod("b2")
                let dns = [PortSpec("dns", .udp, 53, target: ProxyLab.podPort)]
                try lab.apply(ManifestSet([ServiceSpec("stats", clusterIPs: [vip], ports: dns, endpoints: [b1])]))
                #expect(try Self.send(lab, from: client, to: vip) == "b1")

                // b1 goes away (its UDP port now drops everything) and the service moves to b2.
                try lab.cluster.run(in: b1, ["nft", "add table inet gone; add chain inet gone in { type filter hook input priority 0; };"
                                             + " add rule inet gone in udp dport \(ProxyLab.podPort) drop"]).check()
                try lab.apply(ManifestSet([ServiceSpec("stats", clusterIPs: [vip], ports: dns, endpoints: [b2])]))
                #expect(try lab.probe(from: client, .udp, vip, 53).answerers == ["b2"], "a new flow follows the rules")
                #expect(try Self.send(lab, from: client, to: vip) == nil, "the old flow is stuck on b1's conntrack entry")

                let diff = StateDiff(changed: [PortChange(old: Self.port(vip, endpoint: b1), new: Self.port(vip, endpoint: b2))])
                let deleted = try ConntrackCleaner(netns: lab.nodeA.namespace.name).apply(ConntrackPlan.forDiff(diff))
                #expect(deleted == 1)
                #expect(try Self.send(lab, from: client, to: vip) == "b2", "after cleanup the same flow reaches b2")
            }
        }
    }
}
