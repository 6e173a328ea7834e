import KubeObjects
import Model
import SwitchyardCore
import Testing

@Suite struct ProxyStateTrackerTests {
    private let webSlice = Fx.slice("web-1", service: "web", endpoints: [Fx.ep("10.244.1.1")])

    @Test func sliceBeforeServiceJoinsWhenServiceArrives() throws {
        var t = ProxyStateTracker(config: Fx.config)
        t.apply(.upsert(.endpointSlice(webSlice)))
        let first = t.commit()
        #expect(first.state.services.isEmpty)
        #expect(first.changedServices.isEmpty)
        t.apply(.upsert(.service(Fx.service("web"))))
        let second = t.commit()
        #expect(second.changedServices == [Fx.sn("web")])
        #expect(Fx.endpointIPs(try #require(Fx.ports(second.state, "web").first).clusterEndpoints) == ["10.244.1.1:8080"])
    }

    @Test func endpointMovingBetweenSlicesIsDeduplicated() throws {
        var t = ProxyStateTracker(config: Fx.config)
        t.apply([.upsert(.service(Fx.service("web"))),
                 .upsert(.endpointSlice(Fx.slice("web-a", service: "web", endpoints: [Fx.ep("10.244.1.1", ready: false), Fx.ep("10.244.1.2")])))])
        _ = t.commit()
        // Mid-move: the same endpoint is in both slices, ready only in the new one.
        t.apply(.upsert(.endpointSlice(Fx.slice("web-b", service: "web", endpoints: [Fx.ep("10.244.1.1", node: Fx.nodeName)]))))
        let mid = try #require(Fx.ports(t.commit().state, "web").first)
        #expect(Fx.endpointIPs(mid.clusterEndpoints) == ["10.244.1.1:8080", "10.244.1.2:8080"])
        #expect(mid.clusterEndpoints.first?.isLocal == true)
        // Either order of arrival gives the same answer.
        var u = ProxyStateTracker(config: Fx.config)
        u.apply([.upsert(.endpointSlice(Fx.slice("web-b", service: "web", endpoints: [Fx.ep("10.244.1.1", node: Fx.nodeName)]))),
                 .upsert(.endpointSlice(Fx.slice("web-a", service: "web", endpoints: [Fx.ep("10.244.1.1", ready: false), Fx.ep("10.244.1.2")]))),
                 .upsert(.service(Fx.service("web")))])
        #expect(u.commit().state == t.state)
        // Move done: the old slice is deleted.
        t.apply(.delete(ObjectRef(kind: .endpointSlice, namespace: "default", name: "web-a")))
        let done = try #require(Fx.ports(t.commit().state, "web").first)
        #expect(Fx.endpointIPs(done.clusterEndpoints) == ["10.244.1.1:8080"])
    }

    @Test func sliceRelabelledToAnotherServiceLeavesTheFirst() throws {
        var t = ProxyStateTracker(config: Fx.config)
        t.apply([.upsert(.service(Fx.service("web"))), .upsert(.service(Fx.service("api", clusterIPs: ["10.96.0.11"]))),
                 .upsert(.endpointSlice(webSlice))])
        _ = t.commit()
        t.apply(.upsert(.endpointSlice(Fx.slice("web-1", service: "api", endpoints: [Fx.ep("10.244.1.1")]))))
        let c = t.commit()
        #expect(c.changedServices == [Fx.sn("web"), Fx.sn("api")])
        #expect(try #require(Fx.ports(c.state, "web").first).internalTraffic == .reject)
        #expect(try #require(Fx.ports(c.state, "api").first).internalTraffic == .forward(.cluster))
    }

    @Test func deletions() throws {
        var t = ProxyStateTracker(config: Fx.config)
        t.apply([.upsert(.service(Fx.service("web"))), .upsert(.endpointSlice(webSlice))])
        _ = t.commit()
        t.apply(.delete(ObjectRef(kind: .endpointSlice, namespace: "default", name: "web-1")))
        let noEndpoints = t.commit()
        #expect(noEndpoints.changedServices == [Fx.sn("web")])
        #expect(try #require(Fx.ports(noEndpoints.state, "web").first).internalTraffic == .reject)
        t.apply(.delete(ObjectRef(kind: .service, namespace: "default", name: "web")))
        let gone = t.commit()
        #expect(gone.changedServices == [Fx.sn("web")])
        #expect(gone.state.services.isEmpty)
        #expect(gone.previous.services[Fx.sn("web")] != nil)
        // Deleting something unknown changes nothing.
        t.apply(.delete(ObjectRef(kind: .service, namespace: "default", name: "nope")))
        #expect(t.commit().changedServices.isEmpty)
    }

    @Test func incrementalCommitReportsExactlyTheTouchedServices() throws {
        var t = ProxyStateTracker(config: Fx.config)
        let names = ["s0", "s1", "s2", "s3", "s4"]
        for (i, n) in names.enumerated() {
            t.apply([.upsert(.service(Fx.service(n, clusterIPs: ["10.96.1.\(i + 1)"]))),
                     .upsert(.endpointSlice(Fx.slice("\(n)-a", service: n, endpoints: [Fx.ep("10.244.1.\(i + 1)")])))])
        }
        let initial = t.commit()
        #expect(initial.changedServices == Set(names.map { Fx.sn($0) }))
        #expect(!initial.nodeChanged)

        // Touch s1's endpoints and s3's port; re-apply s4 unchanged.
        t.apply([.upsert(.endpointSlice(Fx.slice("s1-a", service: "s1", endpoints: [Fx.ep("10.244.2.1")]))),
                 .upsert(.service(Fx.service("s3", clusterIPs: ["10.96.1.4"], ports: [ServicePortSpec(name: "http", port: 81)]))),
                 .upsert(.service(Fx.service("s4", clusterIPs: ["10.96.1.5"])))])
        let c = t.commit()
        #expect(c.changedServices == [Fx.sn("s1"), Fx.sn("s3")])
        #expect(!c.nodeChanged)
        for n in ["s0", "s2", "s4"] { #expect(c.state.services[Fx.sn(n)] == c.previous.services[Fx.sn(n)]) }
        #expect(Fx.ports(c.state, "s3").first?.port == 81)
        #expect(Fx.ports(c.previous, "s3").first?.port == 80)
        // Nothing pending: the next commit is empty.
        let empty = t.commit()
        #expect(empty.changedServices.isEmpty)
        #expect(empty.state == c.state)
    }

    @Test func nodeZoneChangeIsGlobalAndReappliesTopology() throws {
        let svc = Fx.service("web") { $0.trafficDistribution = "PreferClose" }
        let slice = Fx.slice("web-1", service: "web", endpoints: [Fx.ep("10.244.1.1", zones: ["zone-a"]), Fx.ep("10.244.1.2", zones: ["zone-b"])])
        var t = ProxyStateTracker(config: Fx.config)
        t.apply([.upsert(.service(svc)), .upsert(.endpointSlice(slice)), .upsert(.service(Fx.service("other", clusterIPs: ["10.96.0.11"])))])
        let noZone = t.commit()
        #expect(Fx.endpointIPs(Fx.ports(noZone.state, "web").first?.clusterEndpoints ?? []).count == 2)

        let diags = t.apply(.upsert(.node(Fx.node(zone: "zone-a", addresses: [("InternalIP", "192.0.2.10"), ("ExternalIP", "203.0.113.10"),
                                                                              ("Hostname", "node-a"), ("InternalIP", "bogus")]))))
        #expect(diags.map(\.field) == ["status.addresses[3].address"])
        let c = t.commit()
        #expect(c.nodeChanged)
        #expect(c.state.node.zone == "zone-a")
        #expect(c.state.node.addresses == [Fx.ip("192.0.2.10"), Fx.ip("203.0.113.10")])
        #expect(Fx.endpointIPs(Fx.ports(c.state, "web").first?.clusterEndpoints ?? []) == ["10.244.1.1:8080"])
        #expect(c.changedServices == [Fx.sn("web")])

        // Another node's object and an identical re-send are not changes.
        t.apply([.upsert(.node(Fx.node("node-b", zone: "zone-b"))),
                 .upsert(.node(Fx.node(zone: "zone-a", addresses: [("ExternalIP", "203.0.113.10"), ("InternalIP", "192.0.2.10")])))])
        #expect(!t.commit().nodeChanged)
        t.apply(.delete(ObjectRef(kind: .node, namespace: "", name: Fx.nodeName)))
        let deleted = t.commit()
        #expect(deleted.nodeChanged)
        #expect(deleted.state.node == NodeInfo(name: Fx.nodeName))
    }

    @Test func serviceBecomingHeadlessIsRemoved() {
        var t = ProxyStateTracker(config: Fx.config)
        t.apply(.upsert(.service(Fx.service("web"))))
        _ = t.commit()
        t.apply(.upsert(.service(Fx.service("web", labels: [ServiceValidation.serviceProxyNameLabel: "other"]))))
        let c = t.commit()
        #expect(c.changedServices == [Fx.sn("web")])
        #expect(c.state.services.isEmpty)
    }
}
