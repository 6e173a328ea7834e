import SwitchyardCore
import TestCluster
import Testing

/// Real traffic through Switchyard running in node-a (root only; CI runs as root). One cluster per
/// test; tests run one at a time so probe timeouts stay meaningful on a loaded machine.
@Suite(.serialized, .enabled(if: TestCluster.isSupported(), "needs root and iproute2"))
struct TrafficTests {}

extension TrafficTests {
    @Suite("service addresses") struct Services {
        static let port = ProxyLab.podPort

        @Test("ClusterIP from a pod and from the node: answered, spread over endpoints, pod source kept",
              arguments: TrafficBackend.tested)
        func clusterIP(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let eps = ["a1", "b1", "b2"]
                try lab.apply(ManifestSet([ServiceSpec(
                    "web", clusterIPs: [Addr.svc(10)],
                    ports: [PortSpec("http", .tcp, 80, target: Self.port), PortSpec("dns", .udp, 53, target: Self.port)],
                    endpoints: eps.map(lab.pod))]))
                let a2 = lab.pod("a2")
                for (proto, port) in [(L4Protocol.tcp, UInt16(80)), (.udp, 53)] {
                    let fromPod = try lab.probe(from: a2, proto, Addr.svc(10), port, count: 12)
                    #expect(fromPod.allAnswered, "\(proto) pod→ClusterIP: \(fromPod.lines)")
                    #expect(fromPod.answerers.isSubset(of: Set(eps)) && fromPod.answerers.count > 1,
                            "\(proto) load-balanced over \(eps): \(fromPod.answerers)")
                    #expect(fromPod.sourcesSeen == [a2.ipv4], "pod → ClusterIP keeps the pod's source: \(fromPod.sourcesSeen)")

                    let fromNode = try lab.probe(from: lab.nodeA, proto, Addr.svc(10), port, count: 12)
                    #expect(fromNode.allAnswered, "\(proto) node→ClusterIP: \(fromNode.lines)")
                    #expect(fromNode.answerers.isSubset(of: Set(eps)) && fromNode.answerers.count > 1,
                            "\(proto) from node-a spread over \(eps): \(fromNode.answerers)")
                    #expect(fromNode.sourcesSeen.isSubset(of: lab.nodeAAddresses), "node source: \(fromNode.sourcesSeen)")
                }
            }
        }

        @Test("NodePort from the external client: load-balanced, masqueraded to node-a's address (eTP=Cluster)",
              arguments: TrafficBackend.tested)
        func nodePort(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                var svc = ServiceSpec("np", clusterIPs: [Addr.svc(20)],
                                      ports: [PortSpec("http", .tcp, 80, target: Self.port, nodePort: 30080),
                                              PortSpec("dns", .udp, 53, target: Self.port, nodePort: 30053)],
                                      endpoints: [lab.pod("b1"), lab.pod("b2")])
                svc.type = "NodePort"
                try lab.apply(ManifestSet([svc]))
                for (proto, port) in [(L4Protocol.tcp, UInt16(30080)), (.udp, 30053)] {
                    let results = try lab.probe(from: lab.client, proto, lab.nodeA.ipv4, port, count: 12)
                    #expect(results.allAnswered, "\(proto): \(results.lines)")
                    #expect(results.answerers == ["b1", "b2"], "\(proto) spread: \(results.answerers)")
                    #expect(results.sourcesSeen == [lab.nodeA.ipv4], "\(proto) masqueraded to node-a: \(results.sourcesSeen)")
                }
            }
        }

        @Test("externalIP from the external client", arguments: TrafficBackend.tested)
        func externalIP(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                var svc = ServiceSpec("ext", clusterIPs: [Addr.svc(30)],
                                      ports: [PortSpec("http", .tcp, 8080, target: Self.port),
                                              PortSpec("dns", .udp, 8053, target: Self.port)],
                                      endpoints: [lab.pod("b1")])
                svc.externalIPs = [Addr.ext(20)]
                try lab.apply(ManifestSet([svc]))
                for (proto, port) in [(L4Protocol.tcp, UInt16(8080)), (.udp, 8053)] {
                    let results = try lab.probe(from: lab.client, proto, Addr.ext(20), port, count: 3)
                    #expect(results.allAnswered && results.answerers == ["b1"], "\(proto): \(results.lines)")
                    #expect(results.sourcesSeen == [lab.nodeA.ipv4], "\(proto) masqueraded (eTP=Cluster): \(results.sourcesSeen)")
                }
            }
        }

        @Test("LoadBalancer IP: an allowed source answers, a source outside loadBalancerSourceRanges is dropped",
              arguments: TrafficBackend.tested)
        func loadBalancerSourceRanges(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                var svc = ServiceSpec("lb", clusterIPs: [Addr.svc(40)],
                                      ports: [PortSpec("https", .tcp, 443, target: Self.port, nodePort: 30443),
                                              PortSpec("dns", .udp, 53, target: Self.port, nodePort: 30053)],
                                      endpoints: [lab.pod("b1")])
                svc.type = "LoadBalancer"
                svc.loadBalancerIPs = [Addr.ext(100)]
                svc.sourceRanges = ["\(lab.client.ipv4)/32"]
                try lab.apply(ManifestSet([svc]))
                for (proto, port, nodePort) in [(L4Protocol.tcp, UInt16(443), UInt16(30443)), (.udp, 53, 30053)] {
                    let allowed = try lab.probe(from: lab.client, proto, Addr.ext(100), port, count: 3)
                    #expect(allowed.allAnswered && allowed.answerers == ["b1"], "\(proto) allowed: \(allowed.lines)")
                    let denied = try lab.probe(from: lab.client, proto, Addr.ext(100), port, count: 2,
                                               bind: ProxyLab.deniedClient, timeout: .milliseconds(400))
                    #expect(denied.allSatisfy { $0.outcome == .timeout }, "\(proto) outside the ranges is dropped: \(denied.lines)")
                    // Source ranges restrict the LB IP only, not the NodePort.
                    let viaNodePort = try lab.probe(from: lab.client, proto, lab.nodeA.ipv4, nodePort, bind: ProxyLab.deniedClient)
                    #expect(viaNodePort.allAnswered, "\(proto) NodePort ignores source ranges: \(viaNodePort.lines)")
                }
            }
        }

        @Test("ClientIP affinity: repeated probes from one client hit the same pod", arguments: TrafficBackend.tested)
        func clientIPAffinity(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let eps = ["a1", "a2", "b1", "b2"]
                var sticky = ServiceSpec("sticky", clusterIPs: [Addr.svc(50)],
                                         ports: [PortSpec("http", .tcp, 80, target: Self.port), PortSpec("dns", .udp, 53, target: Self.port)],
                                         endpoints: eps.map(lab.pod))
                sticky.clientIPAffinity = true
                let spread = ServiceSpec("spread", clusterIPs: [Addr.svc(51)],
                                         ports: [PortSpec("http", .tcp, 80, target: Self.port)], endpoints: eps.map(lab.pod))
                try lab.apply(ManifestSet([sticky, spread]))
                for (proto, port) in [(L4Protocol.tcp, UInt16(80)), (.udp, 53)] {
                    for source in [lab.client as any InNetworkNamespace, lab.pod("a2")] {
                        let results = try lab.probe(from: source, proto, Addr.svc(50), port, count: 12)
                        #expect(results.allAnswered, "\(proto) from \(source.namespace): \(results.lines)")
                        #expect(results.answerers.count == 1, "\(proto) from \(source.namespace) sticks to one pod: \(results.answerers)")
                    }
                }
                let control = try lab.probe(from: lab.client, .tcp, Addr.svc(51), 80, count: 12)
                #expect(control.allAnswered && control.answerers.count > 1, "without affinity: \(control.answerers)")
            }
        }
    }
}
