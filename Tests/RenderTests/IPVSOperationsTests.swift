import Diff
import Model
import RenderIPVS
import SwitchyardCore
import Testing

@Suite struct IPVSOperationsTests {
    typealias F = IPVSFixtures
    let renderer = IPVSRenderer()

    /// Applies full-sync ops from `a` to `b`, completes drains, and checks the kernel equals `b`.
    func applyFull(_ kernel: inout IPVSTestKernel, from a: IPVSPlan?, to b: IPVSPlan) throws {
        try kernel.apply(IPVSPlan.operations(from: a, to: b))
        kernel.finishDrains()
        #expect(kernel.plan == IPVSTestKernel.comparable(b))
    }

    @Test func fromNothingYieldsThePlan() throws {
        let plan = renderer.plan(F.goldenState())
        var k = IPVSTestKernel()
        try k.apply(renderer.renderFull(F.goldenState()).operations)
        #expect(k.drainingCount == 0)
        #expect(k.plan == IPVSTestKernel.comparable(plan))
    }

    @Test func toEmptyRemovesEverything() throws {
        let plan = renderer.plan(F.goldenState())
        var k = IPVSTestKernel()
        try applyFull(&k, from: nil, to: plan)
        try applyFull(&k, from: plan, to: IPVSPlan())
        #expect(k.services.isEmpty && k.addresses.isEmpty && k.sets.isEmpty && k.iptables.isEmpty)
    }

    @Test func opsAreInSafeOrder() throws {
        let ops = renderer.renderFull(F.goldenState()).operations
        func firstIndex(_ pred: (IPVSOperation) -> Bool) -> Int? { ops.firstIndex(where: pred) }
        for (i, op) in ops.enumerated() {
            if case .addService(let s) = op, let a = s.key.address, ops.contains(.addAddress(a)) {
                #expect(firstIndex { $0 == .addAddress(a) }! < i, "address before service \(s.key)")
            }
            if case .addDestination(let k, _) = op {
                #expect(firstIndex { if case .addService(let s) = $0 { return s.key == k }; return false }! < i)
            }
        }
        let lastSet = ops.lastIndex { if case .addSetMember = $0 { return true }; return false }!
        let restore = firstIndex { if case .restoreIptables = $0 { return true }; return false }!
        #expect(lastSet < restore)
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomSequencesConvergeWithFullAndIncrementalOps(seed: UInt64) throws {
        var rng = IPVSSeededRNG(seed: seed)
        var fullKernel = IPVSTestKernel()
        var incKernel = IPVSTestKernel()
        var prevState: ProxyState? = nil
        var prevPlan: IPVSPlan? = nil
        for _ in 0..<12 {
            let state = IPVSRandomStates.make(&rng)
            let plan = renderer.plan(state)
            // Full: ops from the previous plan, drains finished only sometimes (revival path).
            try fullKernel.apply(IPVSPlan.operations(from: prevPlan, to: plan))
            if Bool.random(using: &rng) { fullKernel.finishDrains() }
            var settled = fullKernel
            settled.finishDrains()
            #expect(settled.plan == IPVSTestKernel.comparable(plan))
            // Incremental: only the changed ports.
            if let prevState {
                try incKernel.apply(renderer.renderIncremental(F.diff(prevState, state), state: state).operations)
            } else {
                try incKernel.apply(renderer.renderFull(state).operations)
            }
            var settledInc = incKernel
            settledInc.finishDrains()
            #expect(settledInc.plan == IPVSTestKernel.comparable(plan))
            prevState = state
            prevPlan = plan
        }
    }

    @Test func removedTCPEndpointDrainsAndUDPEndpointIsDeleted() throws {
        let a = F.goldenState()
        var b = a
        let dns = ServiceName(namespace: "kube-system", name: "dns")
        b.services[dns]!.ports = b.services[dns]!.ports.map { p in
            var p = p
            p.clusterEndpoints = p.clusterEndpoints.filter { $0.ip != F.ip("10.244.2.7") }
            return p
        }
        let ops = IPVSPlan.operations(from: renderer.plan(a), to: renderer.plan(b))
        let gone = IPVSDestination(address: F.ip("10.244.2.7"), port: 53, weight: 0)
        let tcp = IPVSServiceKey.inet(proto: .tcp, address: F.ip("10.96.0.10"), port: 53)
        let udp = IPVSServiceKey.inet(proto: .udp, address: F.ip("10.96.0.10"), port: 53)
        #expect(ops.contains(.updateDestination(service: tcp, destination: gone, pendingDelete: true)))
        #expect(ops.contains(.deleteDestination(service: udp, destination: gone.key)))
        #expect(!ops.contains { if case .deleteDestination(tcp, _) = $0 { return true }; return false })

        var k = IPVSTestKernel()
        try k.apply(renderer.renderFull(a).operations)
        try k.apply(ops)
        #expect(k.destinations[tcp]?[gone.key] == IPVSTestKernel.Dest(destination: gone, draining: true))
        // The endpoint comes back before the drain finished: re-added at weight 1, not draining.
        try k.apply(IPVSPlan.operations(from: renderer.plan(b), to: renderer.plan(a)))
        #expect(k.drainingCount == 0)
        #expect(k.plan == IPVSTestKernel.comparable(renderer.plan(a)))
    }

    @Test func incrementalTouchesOnlyTheChangedPort() throws {
        let a = F.goldenState()
        var b = a
        let web = ServiceName(namespace: "default", name: "web")
        b.services[web]!.ports = b.services[web]!.ports.map { p in
            var p = p
            if p.key.family == .ipv4 { p.clusterEndpoints.append(F.ep("10.244.3.3", 8080)) }
            return p
        }
        let d = F.diff(a, b)
        #expect(d.changed.count == 1)
        let ops = renderer.renderIncremental(d, state: b).operations
        let webKeys: Set<IPVSServiceKey> = [.inet(proto: .tcp, address: F.ip("10.96.0.20"), port: 80),
                                            .inet(proto: .tcp, address: F.ip("203.0.113.10"), port: 80),
                                            .inet(proto: .tcp, address: F.ip("192.0.2.10"), port: 30080)]
        #expect(ops.count == 3)
        for op in ops {
            guard case .addDestination(let k, let dest) = op else { Issue.record("unexpected \(op)"); continue }
            #expect(webKeys.contains(k) && dest.address == F.ip("10.244.3.3"))
        }
    }

    @Test func incrementalKeepsResourcesSharedWithUnchangedPorts() throws {
        // Removing the UDP DNS port must keep 10.96.0.10 (still used by the TCP port) and the
        // hairpin entry is per protocol, so only the UDP one goes.
        let a = F.goldenState()
        var b = a
        let dns = ServiceName(namespace: "kube-system", name: "dns")
        b.services[dns]!.ports.removeAll { $0.key.proto == .udp }
        let ops = renderer.renderIncremental(F.diff(a, b), state: b).operations
        #expect(!ops.contains(.deleteAddress(F.ip("10.96.0.10"))))
        #expect(!ops.contains(.deleteSetMember(set: "SWITCHYARD-IPVS-IPS", member: .ip(F.ip("10.96.0.10")))))
        #expect(ops.contains(.deleteService(.inet(proto: .udp, address: F.ip("10.96.0.10"), port: 53))))
        var k = IPVSTestKernel()
        try k.apply(renderer.renderFull(a).operations)
        try k.apply(ops)
        #expect(k.plan == IPVSTestKernel.comparable(renderer.plan(b)))
    }

    @Test func configChangeUpdatesIptablesAndFamilies() throws {
        let a = F.goldenState()
        let b = F.state(a.allPorts, config: F.config(families: [.ipv4], masqueradeAll: true))
        var k = IPVSTestKernel()
        try applyFull(&k, from: nil, to: renderer.plan(a))
        let ops = IPVSPlan.operations(from: renderer.plan(a), to: renderer.plan(b))
        #expect(ops.contains(.removeIptables(.ipv6)))
        #expect(ops.contains { if case .restoreIptables(let r) = $0 { return r.family == .ipv4 }; return false })
        try applyFull(&k, from: renderer.plan(a), to: renderer.plan(b))
        #expect(k.sets.keys.allSatisfy { !$0.hasPrefix("SWITCHYARD-6-") })
    }

    @Test func schedulerChangeIsAnUpdate() throws {
        let a = F.goldenState()
        let b = F.state(a.allPorts, config: {
            var c = F.config(); c.ipvsScheduler = "wrr"; return c
        }())
        let ops = IPVSPlan.operations(from: renderer.plan(a), to: renderer.plan(b))
        let dnsKey = IPVSServiceKey.inet(proto: .udp, address: F.ip("10.96.0.10"), port: 53)
        #expect(ops.contains { if case .updateService(let s) = $0 { return s.key == dnsKey && s.scheduler == "wrr" }; return false })
        #expect(!ops.contains { if case .updateService(let s) = $0 { return s.scheduler == "lc" }; return false })
        #expect(!ops.contains { if case .addService = $0 { return true }; return false })
    }
}
