import Diff
import Model
import RenderIPVS
import SwitchyardCore
import Testing

/// The reference-counted plan index that makes incremental IPVS syncs O(change).
@Suite struct IPVSPlanIndexTests {
    typealias F = IPVSFixtures
    let renderer = IPVSRenderer()

    @Test func indexPlanEqualsTheRenderersPlan() {
        let state = F.goldenState()
        #expect(IPVSPlanIndex(state: state).plan == renderer.plan(state))
    }

    /// After following any diff, the index holds the new state's plan, and its operations are exactly
    /// the full diff of the two plans (the same set: nothing shared is lost, nothing extra is touched).
    @Test(arguments: [11, 12, 13, 14, 15, 16] as [UInt64])
    func followingDiffsMatchesFullRenders(seed: UInt64) {
        var rng = IPVSSeededRNG(seed: seed)
        var state = IPVSRandomStates.make(&rng)
        var index = IPVSPlanIndex(state: state)
        for _ in 0..<10 {
            let next = IPVSRandomStates.make(&rng)
            let ops = index.apply(F.diff(state, next), state: next)
            let expected = IPVSPlan.operations(from: renderer.plan(state), to: renderer.plan(next))
            #expect(index.plan == renderer.plan(next))
            #expect(Set(ops) == Set(expected))
            state = next
        }
    }

    @Test func sharedClusterIPAddressStaysUntilItsLastPortGoes() {
        let state = F.goldenState()
        let dnsUDP = state.allPorts.first { $0.key.proto == .udp && $0.key.service.name == "dns" }!
        let dnsTCP = state.allPorts.first { $0.key.proto == .tcp && $0.key.service.name == "dns" }!
        var index = IPVSPlanIndex(state: state)
        var s1 = state
        s1.services[dnsUDP.key.service]!.ports.removeAll { $0.key == dnsUDP.key }
        let ops1 = index.apply(StateDiff(removed: [dnsUDP]), state: s1)
        let vip = F.ip("10.96.0.10")
        #expect(!ops1.contains(.deleteAddress(vip)))
        #expect(ops1.contains(.deleteService(.inet(proto: .udp, address: vip, port: 53))))
        // The hairpin entry of 10.244.1.5 is keyed by protocol, so the UDP one goes; the TCP one stays.
        #expect(ops1.contains(.deleteSetMember(set: "SWITCHYARD-LOOP-BACK", member: .ipPortIP(F.ip("10.244.1.5"), .udp, 53, F.ip("10.244.1.5")))))
        #expect(!ops1.contains(.deleteSetMember(set: "SWITCHYARD-IPVS-IPS", member: .ip(vip))))
        var s2 = s1
        s2.services[dnsTCP.key.service] = nil
        let ops2 = index.apply(StateDiff(removed: [dnsTCP]), state: s2)
        #expect(ops2.contains(.deleteAddress(vip)))
        #expect(ops2.contains(.deleteSetMember(set: "SWITCHYARD-IPVS-IPS", member: .ip(vip))))
        #expect(index.plan == renderer.plan(s2))
    }

    @Test func oneEndpointChangeTouchesOnlyItsVirtualServers() {
        let state = F.goldenState()
        let web = state.allPorts.first { $0.key.service.name == "web" && $0.key.family == .ipv4 }!
        var changed = web
        changed.clusterEndpoints.append(F.ep("10.244.2.99", 8080))
        changed.internalTraffic = .forward(.cluster)
        var next = state
        next.services[web.key.service]!.ports = next.services[web.key.service]!.ports.map { $0.key == web.key ? changed : $0 }
        var index = IPVSPlanIndex(state: state)
        let ops = index.apply(StateDiff(changed: [PortChange(old: web, new: changed)]), state: next)
        // ClusterIP, externalIP and the NodePort on the node address each gain the real server.
        #expect(ops.count == 3)
        #expect(ops.allSatisfy { if case .addDestination(_, let d) = $0 { d.address == F.ip("10.244.2.99") } else { false } })
    }

    @Test func conflictingClaimKeepsItsOwnerAcrossAChange() {
        let a = F.port(F.key("default", "a"), clusterIP: "10.96.5.1", port: 80, externalIPs: ["203.0.113.50"], endpoints: [F.ep("10.244.1.1", 80)])
        let b = F.port(F.key("default", "b"), clusterIP: "10.96.5.2", port: 80, externalIPs: ["203.0.113.50"], endpoints: [F.ep("10.244.1.2", 80)])
        let state = F.state([a, b])
        var index = IPVSPlanIndex(state: state)
        let key = IPVSServiceKey.inet(proto: .tcp, address: F.ip("203.0.113.50"), port: 80)
        #expect(index.plan.virtualServers[key]?.destinations.map(\.address) == [F.ip("10.244.1.1")])
        #expect(index.conflictingKeys == 1)
        var a2 = a
        a2.clusterEndpoints = [F.ep("10.244.1.3", 80)]
        _ = index.apply(StateDiff(changed: [PortChange(old: a, new: a2)]), state: F.state([a2, b]))
        #expect(index.plan.virtualServers[key]?.destinations.map(\.address) == [F.ip("10.244.1.3")])
        _ = index.apply(StateDiff(removed: [a2]), state: F.state([b]))
        #expect(index.plan.virtualServers[key]?.destinations.map(\.address) == [F.ip("10.244.1.2")])
        #expect(index.conflictingKeys == 0)
    }
}
