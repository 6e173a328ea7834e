import SwitchyardCore
import TestCluster
import Testing

extension TrafficTests {
    @Suite("traffic policy, reject and masquerade") struct Policies {
        static let port = ProxyLab.podPort
        static let both: [PortSpec] = [PortSpec("http", .tcp, 80, target: port, nodePort: 30080),
                                       PortSpec("dns", .udp, 53, target: port, nodePort: 30053)]
        static let cases: [(L4Protocol, UInt16, UInt16)] = [(.tcp, 80, 30080), (.udp, 53, 30053)]

        @Test("eTP=Local: client source preserved, only local endpoints; dropped when none is local",
              arguments: TrafficBackend.tested)
        func externalTrafficPolicyLocal(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                var local = ServiceSpec("local", clusterIPs: [Addr.svc(60)], ports: Self.both,
                                        endpoints: [lab.pod("a1"), lab.pod("b1")])
                local.type = "NodePort"; local.externalTrafficPolicy = "Local"
                var remote = ServiceSpec("remote", clusterIPs: [Addr.svc(61)],
                                         ports: [PortSpec("http", .tcp, 80, target: Self.port, nodePort: 31080),
                                                 PortSpec("dns", .udp, 53, target: Self.port, nodePort: 31053)],
                                         endpoints: [lab.pod("b1")])
                remote.type = "NodePort"; remote.externalTrafficPolicy = "Local"; remote.externalIPs = [Addr.ext(61)]
                try lab.apply(ManifestSet([local, remote]))
                for (proto, _, nodePort) in Self.cases {
                    let results = try lab.probe(from: lab.client, proto, lab.nodeA.ipv4, nodePort, count: 8)
                    #expect(results.allAnswered && results.answerers == ["a1"], "\(proto) only the local endpoint: \(results.lines)")
                    #expect(results.sourcesSeen == [lab.client.ipv4], "\(proto) client source preserved: \(results.sourcesSeen)")
                    let none = try lab.probe(from: lab.client, proto, lab.nodeA.ipv4, nodePort + 1000, timeout: .milliseconds(400))
                    #expect(none.allSatisfy { $0.outcome == .timeout }, "\(proto) no local endpoint → dropped: \(none.lines)")
                    let ext = try lab.probe(from: lab.client, proto, Addr.ext(61), nodePort == 30080 ? 80 : 53, timeout: .milliseconds(400))
                    #expect(ext.allSatisfy { $0.outcome == .timeout }, "\(proto) externalIP, no local endpoint → dropped: \(ext.lines)")
                }
                // The ClusterIP of the same service still uses every endpoint.
                let cluster = try lab.probe(from: lab.pod("a2"), .tcp, Addr.svc(61), 80)
                #expect(cluster.allAnswered && cluster.answerers == ["b1"], "ClusterIP unaffected by eTP: \(cluster.lines)")
            }
        }

        @Test("eTP=Local short-circuit: a pod on the node reaches the externalIP and NodePort via cluster endpoints, unmasqueraded",
              arguments: TrafficBackend.tested)
        func podShortCircuit(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                var svc = ServiceSpec("sc", clusterIPs: [Addr.svc(62)], ports: Self.both, endpoints: [lab.pod("b1")])
                svc.type = "NodePort"; svc.externalTrafficPolicy = "Local"; svc.externalIPs = [Addr.ext(62)]
                try lab.apply(ManifestSet([svc]))
                let a2 = lab.pod("a2")
                for (proto, port, nodePort) in Self.cases {
                    let viaExternal = try lab.probe(from: a2, proto, Addr.ext(62), port, count: 3)
                    #expect(viaExternal.allAnswered && viaExternal.answerers == ["b1"], "\(proto) externalIP from pod: \(viaExternal.lines)")
                    #expect(viaExternal.sourcesSeen == [a2.ipv4], "\(proto) not masqueraded: \(viaExternal.sourcesSeen)")
                    let viaNodePort = try lab.probe(from: a2, proto, lab.nodeA.ipv4, nodePort, count: 3)
                    #expect(viaNodePort.allAnswered && viaNodePort.answerers == ["b1"], "\(proto) NodePort from pod: \(viaNodePort.lines)")
                    let fromClient = try lab.probe(from: lab.client, proto, Addr.ext(62), port, timeout: .milliseconds(400))
                    #expect(fromClient.allSatisfy { $0.outcome == .timeout }, "\(proto) external client still dropped: \(fromClient.lines)")
                }
            }
        }

        @Test("iTP=Local: only local endpoints; dropped when none is local", arguments: TrafficBackend.tested)
        func internalTrafficPolicyLocal(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                var some = ServiceSpec("itp-some", clusterIPs: [Addr.svc(70)], ports: Self.both,
                                       endpoints: [lab.pod("a1"), lab.pod("b1"), lab.pod("b2")])
                some.internalTrafficPolicy = "Local"
                var none = ServiceSpec("itp-none", clusterIPs: [Addr.svc(71)], ports: Self.both, endpoints: [lab.pod("b1")])
                none.internalTrafficPolicy = "Local"
                try lab.apply(ManifestSet([some, none]))
                for (proto, port, _) in Self.cases {
                    let local = try lab.probe(from: lab.pod("a2"), proto, Addr.svc(70), port, count: 8)
                    #expect(local.allAnswered && local.answerers == ["a1"], "\(proto) local only: \(local.lines)")
                    let dropped = try lab.probe(from: lab.pod("a2"), proto, Addr.svc(71), port, timeout: .milliseconds(400))
                    #expect(dropped.allSatisfy { $0.outcome == .timeout }, "\(proto) no local endpoint → dropped: \(dropped.lines)")
                }
            }
        }

        @Test("no endpoints → refused (TCP and UDP); a ClusterIP on an undefined port → refused",
              arguments: TrafficBackend.tested)
        func rejects(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                var empty = ServiceSpec("empty", clusterIPs: [Addr.svc(80)], ports: Self.both)
                empty.type = "NodePort"
                let web = ServiceSpec("web", clusterIPs: [Addr.svc(81)], ports: Array(Self.both.map { var p = $0; p.nodePort = nil; return p }),
                                      endpoints: [lab.pod("b1")])
                try lab.apply(ManifestSet([empty, web]))
                for (proto, port, nodePort) in Self.cases {
                    for source in [lab.pod("a2") as any InNetworkNamespace, lab.client, lab.nodeA] {
                        // A UDP datagram the node itself sends and its own OUTPUT hook rejects fails in
                        // send() with EPERM (the probe's `unreachable`) before the ICMP error arrives.
                        let rejected: Set<ProbeResult.Outcome> = proto == .udp && source.namespace == lab.nodeA.namespace
                            ? [.refused, .unreachable] : [.refused]
                        let noEndpoints = try lab.probe(from: source, proto, Addr.svc(80), port)
                        #expect(noEndpoints.allSatisfy { rejected.contains($0.outcome) }, "\(proto) empty from \(source.namespace): \(noEndpoints.lines)")
                        let undefined = try lab.probe(from: source, proto, Addr.svc(81), port + 1)
                        #expect(undefined.allSatisfy { rejected.contains($0.outcome) }, "\(proto) undefined port from \(source.namespace): \(undefined.lines)")
                        let defined = try lab.probe(from: source, proto, Addr.svc(81), port)
                        #expect(defined.allAnswered, "\(proto) defined port from \(source.namespace): \(defined.lines)")
                    }
                    let viaNodePort = try lab.probe(from: lab.client, proto, lab.nodeA.ipv4, nodePort)
                    #expect(viaNodePort.allSatisfy { $0.outcome == .refused }, "\(proto) empty NodePort: \(viaNodePort.lines)")
                }
            }
        }

        @Test("hairpin: a pod reaching itself through its service sees a masqueraded source",
              arguments: TrafficBackend.tested)
        func hairpin(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let a1 = lab.pod("a1")
                try lab.apply(ManifestSet([ServiceSpec("self", clusterIPs: [Addr.svc(90)], ports: Self.both, endpoints: [a1])]))
                for (proto, port, _) in Self.cases {
                    let results = try lab.probe(from: a1, proto, Addr.svc(90), port, count: 3)
                    #expect(results.allAnswered && results.answerers == ["a1"], "\(proto): \(results.lines)")
                    #expect(!results.sourcesSeen.contains(a1.ipv4) && results.sourcesSeen.isSubset(of: lab.nodeAAddresses),
                            "\(proto) hairpin masqueraded to a node-a address: \(results.sourcesSeen)")
                }
            }
        }

        @Test("--masquerade-all: a pod's ClusterIP traffic is masqueraded too", arguments: TrafficBackend.tested)
        func masqueradeAll(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let manifests = ManifestSet([ServiceSpec("web", clusterIPs: [Addr.svc(100)], ports: Self.both, endpoints: [lab.pod("b1")])])
                let a2 = lab.pod("a2")
                try lab.apply(manifests)
                let plain = try lab.probe(from: a2, .tcp, Addr.svc(100), 80)
                #expect(plain.allAnswered && plain.sourcesSeen == [a2.ipv4], "default keeps the pod source: \(plain.lines)")
                try lab.apply(manifests, extraFlags: ["--masquerade-all"])
                for (proto, port, _) in Self.cases {
                    let results = try lab.probe(from: a2, proto, Addr.svc(100), port, count: 3)
                    #expect(results.allAnswered && results.answerers == ["b1"], "\(proto): \(results.lines)")
                    #expect(results.sourcesSeen == [lab.nodeA.ipv4], "\(proto) masqueraded to node-a: \(results.sourcesSeen)")
                }
            }
        }

        @Test("dual stack: IPv4 and IPv6 ClusterIPs from the client and from a pod", arguments: TrafficBackend.tested)
        func dualStack(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let eps = [lab.pod("a1"), lab.pod("b1")]
                try lab.apply(ManifestSet([ServiceSpec("dual", clusterIPs: [Addr.svc(110), Addr.svc6(0x110)],
                                                       ports: Self.both, endpoints: eps)]))
                let a2 = lab.pod("a2")
                for family in IPFamily.allCases {
                    let vip = family == .ipv4 ? Addr.svc(110) : Addr.svc6(0x110)
                    for (proto, port, _) in Self.cases {
                        let fromPod = try lab.probe(from: a2, proto, vip, port, count: 20)
                        #expect(fromPod.allAnswered && fromPod.answerers == ["a1", "b1"], "\(family) \(proto) from pod: \(fromPod.lines)")
                        #expect(fromPod.sourcesSeen == [try #require(a2.address(family))], "\(family) \(proto) pod source kept: \(fromPod.sourcesSeen)")
                        let fromClient = try lab.probe(from: lab.client, proto, vip, port, count: 8)
                        #expect(fromClient.allAnswered && fromClient.answerers.isSubset(of: ["a1", "b1"]),
                                "\(family) \(proto) from client: \(fromClient.lines)")
                        #expect(!fromClient.sourcesSeen.contains(try #require(lab.client.address(family))),
                                "\(family) \(proto) client source (outside the cluster CIDR) masqueraded: \(fromClient.sourcesSeen)")
                    }
                }
            }
        }
    }
}
