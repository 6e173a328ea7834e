import Apply
import Diff
import IPVSNetlink
import Model
import RenderIPVS
import SwitchyardCore
import Testing
@testable import ApplyIPVS

/// The applier against an in-memory kernel and tools: no root needed.
@Suite struct IPVSApplierTests {
    typealias F = IPVSFixtures
    let kernel = FakeIPVSKernel()
    let tools = FakeHostTools()
    let clock = ManualClock()

    func applier(grace: Duration = .seconds(900), kernel: FakeIPVSKernel? = nil) -> IPVSApplier {
        let k = kernel ?? self.kernel
        let c = clock
        return IPVSApplier(options: IPVSApplierOptions(gracePeriod: grace, sysctls: IPVSApplierOptions.kubeProxySysctls(kernelRelease: "6.1.0")),
                           netns: nil, kernel: { k }, tools: tools, clock: { c.now })
    }

    static func kkey(_ proto: L4Protocol, _ a: String, _ port: UInt16) -> IPVSNetlink.IPVSServiceKey {
        .address(protocol: proto, address: IPAddress(a)!, port: port)
    }

    /// The kernel as the plan would have it: service → (destination → weight).
    func expected(_ plan: IPVSPlan) -> [IPVSNetlink.IPVSServiceKey: [String: Int32]] {
        var out: [IPVSNetlink.IPVSServiceKey: [String: Int32]] = [:]
        for vs in plan.virtualServers.values {
            var ds: [String: Int32] = [:]
            for d in vs.destinations { ds["\(d.address):\(d.port)"] = Int32(d.weight) }
            out[IPVSConversion.kernelKey(vs.key)] = ds
        }
        return out
    }

    func renderedPlan(_ state: ProxyState) -> IPVSPlan {
        IPVSRenderer(options: IPVSOptions(localAddresses: [IPAddress("192.0.2.10")!])).plan(state)
    }

    @Test func fullSyncProgramsThePlanAndASecondChangesNothing() async throws {
        let a = applier()
        let state = F.goldenState()
        _ = try await a.applyFull(state)
        let plan = renderedPlan(state)
        #expect(kernel.table == expected(plan))
        #expect(kernel.linkAddresses[kernel.links[IPVSPlan.dummyInterface]!] == plan.addresses)
        #expect(kernel.members("SWITCHYARD-CLUSTER-IP") == Set(plan.ipsets["SWITCHYARD-CLUSTER-IP"]!.members.map { IPVSConversion.element($0).description }))
        #expect(kernel.sets["SWITCHYARD-NODE-PORT-TCP"]?.spec.portRange == 0...65535)
        #expect(tools.count(.ipv4, "nat", "PREROUTING", target: "SWITCHYARD-SERVICES") == 1)
        #expect(tools.sysctls["net/ipv4/vs/conntrack"] == "1")
        #expect(tools.sysctls["net/ipv4/vs/conn_reuse_mode"] == nil)
        let sent = kernel.executed.count, setBatches = kernel.ipsetBatches.count
        let report = try await a.applyFull(state)
        #expect(kernel.executed.count == sent, "an unchanged full sync sends no IPVS command")
        #expect(kernel.ipsetBatches.count == setBatches, "nor any ipset change")
        #expect(report.driftRepaired == 0)
        #expect(tools.count(.ipv4, "nat", "PREROUTING", target: "SWITCHYARD-SERVICES") == 1, "jumps exist once")
        #expect(tools.count(.ipv6, "filter", "INPUT", target: "SWITCHYARD-IPVS-FILTER") == 1)
    }

    @Test func fullSyncRepairsDriftWithoutTouchingTheRest() async throws {
        let a = applier()
        let state = F.goldenState()
        _ = try await a.applyFull(state)
        let web = Self.kkey(.tcp, "10.96.0.20", 80)
        let victim = try #require(kernel.destinations[web]?.values.first?.values.first?.destination)
        kernel.destinations[web]![victim.address]![victim.port] = nil
        let wanted = IPSetElement(ip: F.ip("10.96.0.20"), port: 80, proto: 6), foreign = IPSetElement(ip: F.ip("10.96.9.9"), port: 80, proto: 6)
        kernel.sets["SWITCHYARD-CLUSTER-IP"]!.members.remove(wanted)
        kernel.sets["SWITCHYARD-CLUSTER-IP"]!.members.insert(foreign)
        kernel.executed = []
        let report = try await a.applyFull(state)
        #expect(kernel.executed == [.newDestination(web, victim)])
        #expect(kernel.ipsetBatches.last == [.delete("SWITCHYARD-CLUSTER-IP", [foreign]), .add("SWITCHYARD-CLUSTER-IP", [wanted])])
        #expect(report.driftRepaired == 1)
    }

    @Test func incrementalSendsOnlyTheChangeAndDumpsNothing() async throws {
        let a = applier()
        var state = F.goldenState()
        _ = try await a.applyFull(state)
        let old = state.allPorts.first { $0.key.service.name == "web" && $0.key.family == .ipv4 }!
        var new = old
        new.clusterEndpoints.append(F.ep("10.244.2.12", 8080))
        state.services[old.key.service]!.ports = state.services[old.key.service]!.ports.map { $0.key == old.key ? new : $0 }
        kernel.executed = []
        let dumps = (kernel.serviceDumps, kernel.destinationDumps)
        _ = try await a.applyIncremental(StateDiff(changed: [PortChange(old: old, new: new)]), state: state)
        // ClusterIP, externalIP and the NodePort on the node's address each gain the real server.
        #expect(kernel.executed.count == 3)
        #expect(kernel.serviceDumps == dumps.0 && kernel.destinationDumps == dumps.1)
        #expect(kernel.table == expected(renderedPlan(state)))
    }

    @Test func removedTCPRealServerDrainsUntilIdleAndUDPGoesAtOnce() async throws {
        let a = applier()
        var state = F.goldenState()
        _ = try await a.applyFull(state)
        let tcp = state.allPorts.first { $0.key.service.name == "dns" && $0.key.proto == .tcp }!
        let udp = state.allPorts.first { $0.key.service.name == "dns" && $0.key.proto == .udp }!
        let gone = F.ep("10.244.2.7", 53)
        let vipTCP = Self.kkey(.tcp, "10.96.0.10", 53), vipUDP = Self.kkey(.udp, "10.96.0.10", 53)
        kernel.setConnections(vipTCP, gone.ip, 53, active: 2)
        var tcp2 = tcp, udp2 = udp
        tcp2.clusterEndpoints.removeAll { $0 == gone }
        udp2.clusterEndpoints.removeAll { $0 == gone }
        state.services[tcp.key.service]!.ports = [udp2, tcp2]
        _ = try await a.applyIncremental(StateDiff(changed: [PortChange(old: tcp, new: tcp2), PortChange(old: udp, new: udp2)]), state: state)
        #expect(kernel.table[vipTCP]?["10.244.2.7:53"] == 0, "held at weight 0 while connections live")
        #expect(kernel.table[vipUDP]?["10.244.2.7:53"] == nil, "UDP real servers are deleted at once")
        #expect(await a.draining.count == 1)
        #expect(try await a.reapDrained() == 0)
        kernel.setConnections(vipTCP, gone.ip, 53, active: 0, inactive: 3)
        #expect(try await a.reapDrained() == 1, "inactive connections do not hold it by default")
        #expect(kernel.table[vipTCP]?["10.244.2.7:53"] == nil)
        #expect(await a.draining.isEmpty)
    }

    @Test func gracePeriodEndsTheDrainAndReAddingCancelsIt() async throws {
        let a = applier(grace: .seconds(30))
        var state = F.goldenState()
        _ = try await a.applyFull(state)
        let web = state.allPorts.first { $0.key.service.name == "web" && $0.key.family == .ipv4 }!
        let gone = F.ep("10.244.2.8", 8080)
        let vip = Self.kkey(.tcp, "10.96.0.20", 80)
        kernel.setConnections(vip, gone.ip, 8080, active: 1)
        var web2 = web
        web2.clusterEndpoints.removeAll { $0 == gone }
        state.services[web.key.service]!.ports = state.services[web.key.service]!.ports.map { $0.key == web.key ? web2 : $0 }
        _ = try await a.applyIncremental(StateDiff(changed: [PortChange(old: web, new: web2)]), state: state)
        #expect(kernel.table[vip]?["10.244.2.8:8080"] == 0)
        // Back again while draining: a weight change, not a create.
        state.services[web.key.service]!.ports = state.services[web.key.service]!.ports.map { $0.key == web.key ? web : $0 }
        kernel.executed = []
        _ = try await a.applyIncremental(StateDiff(changed: [PortChange(old: web2, new: web)]), state: state)
        #expect(kernel.executed.contains(.setDestination(vip, IPVSNetlink.IPVSDestination(address: gone.ip, port: 8080))))
        #expect(kernel.table[vip]?["10.244.2.8:8080"] == 1)
        #expect(await a.draining[IPVSConversion.planKey(vip)] == nil)
        // Gone again; the grace period passes with the connection still open.
        state.services[web.key.service]!.ports = state.services[web.key.service]!.ports.map { $0.key == web.key ? web2 : $0 }
        _ = try await a.applyIncremental(StateDiff(changed: [PortChange(old: web, new: web2)]), state: state)
        #expect(try await a.reapDrained() == 0)
        clock.advance(.seconds(31))
        #expect(try await a.reapDrained() >= 1)
        #expect(kernel.table[vip]?["10.244.2.8:8080"] == nil)
    }

    @Test func restartRestoresWantedWeightZeroServersAndDrainsUnwantedOnes() async throws {
        let state = F.goldenState()
        _ = try await applier().applyFull(state)
        let vip = Self.kkey(.tcp, "10.96.0.20", 80)
        let wanted = IPAddress("10.244.2.8")!
        // A previous process left a wanted real server at weight 0 and an unwanted one draining.
        kernel.destinations[vip]![wanted]![8080]!.destination.weight = 0
        let stale = IPVSNetlink.IPVSDestination(address: IPAddress("10.244.3.3")!, port: 8080, weight: 0)
        _ = try kernel.execute([.newDestination(vip, stale)])
        kernel.setConnections(vip, stale.address, 8080, active: 1)
        let udpStale = IPVSNetlink.IPVSDestination(address: IPAddress("10.244.3.4")!, port: 53)
        _ = try kernel.execute([.newDestination(Self.kkey(.udp, "10.96.0.10", 53), udpStale)])
        // Ours by address (on the dummy interface) but unplanned; and a foreign service.
        let orphan = IPVSNetlink.IPVSService(key: Self.kkey(.tcp, "10.96.0.20", 9999))
        let foreign = IPVSNetlink.IPVSService(key: Self.kkey(.tcp, "198.51.100.200", 80))
        let foreignNodeIP = IPVSNetlink.IPVSService(key: Self.kkey(.tcp, "192.0.2.10", 22))
        let staleNodePort = IPVSNetlink.IPVSService(key: Self.kkey(.tcp, "192.0.2.10", 31999))
        _ = try kernel.execute([.newService(orphan), .newService(foreign), .newService(foreignNodeIP), .newService(staleNodePort)])

        let restarted = applier()
        _ = try await restarted.applyFull(state)
        #expect(kernel.table[vip]?["10.244.2.8:8080"] == 1, "restored to weight 1 (kube-proxy #92019)")
        #expect(kernel.table[vip]?["10.244.3.3:8080"] == 0, "unwanted, busy: stays draining")
        #expect(kernel.table[Self.kkey(.udp, "10.96.0.10", 53)]?["10.244.3.4:53"] == nil)
        #expect(kernel.serviceTable[orphan.key] == nil && kernel.serviceTable[staleNodePort.key] == nil)
        #expect(kernel.serviceTable[foreign.key] != nil && kernel.serviceTable[foreignNodeIP.key] != nil)
        kernel.setConnections(vip, stale.address, 8080, active: 0)
        #expect(try await restarted.reapDrained() == 1)
        #expect(kernel.table == expected(renderedPlan(state)).merging(
            [foreign.key: [:], foreignNodeIP.key: [:]]) { a, _ in a })
    }

    @Test func cleanupRemovesOnlyOurs() async throws {
        let a = applier()
        _ = try await a.applyFull(F.goldenState())
        let foreign = IPVSNetlink.IPVSService(key: Self.kkey(.tcp, "198.51.100.200", 80))
        _ = try kernel.execute([.newService(foreign)])
        tools.rules[.ipv4, default: [:]]["nat", default: [:]]["PREROUTING", default: []].append("-j OTHER")
        kernel.sets["someone-else"] = (IPSetSpec(name: "someone-else", typeName: "hash:ip", family: .ipv4), [IPSetElement(ip: F.ip("1.2.3.4"))])
        try await a.cleanup()
        #expect(Array(kernel.serviceTable.keys) == [foreign.key])
        #expect(kernel.links[IPVSPlan.dummyInterface] == nil)
        #expect(Array(kernel.sets.keys) == ["someone-else"])
        #expect(tools.rules[.ipv4]?["nat"]?["PREROUTING"] == ["-j OTHER"])
        #expect(tools.rules[.ipv4]?["nat"]?.keys.contains { $0.hasPrefix("SWITCHYARD") } == false)
        #expect(tools.rules[.ipv6]?["filter"]?["INPUT"]?.isEmpty ?? true)
        try await a.cleanup() // nothing left: still fine
    }

    @Test func sysctlsFollowKubeProxy() {
        #expect(IPVSApplierOptions.kubeProxySysctls(kernelRelease: "5.4.0-150-generic").contains { $0 == ("net/ipv4/vs/conn_reuse_mode", "0") })
        #expect(!IPVSApplierOptions.kubeProxySysctls(kernelRelease: "6.1.0-uml").contains { $0.0 == "net/ipv4/vs/conn_reuse_mode" })
        #expect(IPVSApplierOptions.kubeProxySysctls(kernelRelease: nil).count == 4)
    }

    @Test func incrementalOperationMapping() {
        let k = IPVSServiceKey.inet(proto: .tcp, address: F.ip("10.96.0.1"), port: 80)
        let d = IPVSDestination(address: F.ip("10.244.1.1"), port: 80)
        let e = IPVSDestination(address: F.ip("10.244.1.2"), port: 80)
        var zero = e; zero.weight = 0
        let batch = IPVSIncrementalBatch([
            .addSetMember(set: "S", member: .ip(F.ip("10.96.0.1"))), .addAddress(F.ip("10.96.0.1")),
            .addDestination(service: k, destination: d), .addDestination(service: k, destination: e),
            .updateDestination(service: k, destination: zero, pendingDelete: true),
            .deleteSetMember(set: "S", member: .ip(F.ip("10.96.0.2"))), .deleteAddress(F.ip("10.96.0.2")),
        ], draining: { _, key in key == d.key })
        let kk = IPVSConversion.kernelKey(k)
        #expect(batch.commands == [.setDestination(kk, IPVSConversion.kernelDestination(d)), .newDestination(kk, IPVSConversion.kernelDestination(e)),
                                   .setDestination(kk, IPVSConversion.kernelDestination(zero))])
        #expect(batch.undrained.map(\.1) == [d.key] && batch.drains.map(\.1) == [e.key])
        #expect(batch.addressesToAdd == [F.ip("10.96.0.1")] && batch.addressesToDelete == [F.ip("10.96.0.2")])
        #expect(IPVSSetSync.commands(batch.ipsetBefore) == [.add("S", [IPSetElement(ip: F.ip("10.96.0.1"))])])
        #expect(IPVSSetSync.commands(batch.ipsetAfter) == [.delete("S", [IPSetElement(ip: F.ip("10.96.0.2"))])])
    }

    @Test func jumpDetectionAndRemovalText() {
        let j = IPVSIptablesJump(table: "nat", chain: "PREROUTING", rule: "-m comment --comment \"switchyard service portals\" -j SWITCHYARD-SERVICES")
        let present = ["nat": "*nat\n-A PREROUTING -m comment --comment \"switchyard service portals\" -j SWITCHYARD-SERVICES\nCOMMIT\n"]
        #expect(IPVSIptablesSync.missing([j], in: present).isEmpty)
        #expect(IPVSIptablesSync.missing([j], in: ["nat": "*nat\n-A PREROUTING -j SWITCHYARD-SERVICES\nCOMMIT\n"]) == [j])
        let removal = IPVSIptablesSync.removalText(save: ["nat": "*nat\n:SWITCHYARD-SERVICES - [0:0]\n:OTHER - [0:0]\n" + present["nat"]!.dropFirst(5)])
        #expect(removal == "*nat\n-D PREROUTING -m comment --comment \"switchyard service portals\" -j SWITCHYARD-SERVICES\n-F SWITCHYARD-SERVICES\n-X SWITCHYARD-SERVICES\nCOMMIT\n")
    }

    @Test func aFamilyWithoutTablesCostsNoSave() async throws {
        tools.knowsTables = true
        let a = applier()
        let state = F.state(F.goldenState().allPorts.filter { $0.key.family == .ipv4 }, config: F.config(families: [.ipv4]))
        _ = try await a.applyFull(state)
        #expect(tools.saves == 0, "fresh namespace: no iptables-save for IPv4, no process at all for the unconfigured IPv6")
        #expect(tools.restores.map(\.0) == [.ipv4])
        #expect(tools.count(.ipv4, "nat", "PREROUTING", target: "SWITCHYARD-SERVICES") == 1, "every jump inserted")
        clock.advance(.seconds(301))
        _ = try await a.applyFull(state)
        #expect(tools.saves == 1 && tools.restores.count == 1, "tables exist now: verified by a save, intact")
    }

    @Test func anUnconfiguredFamilyWithOurChainsIsStillCleared() async throws {
        tools.knowsTables = true
        tools.rules[.ipv6] = ["nat": ["SWITCHYARD-SERVICES": [], "PREROUTING": ["-j SWITCHYARD-SERVICES"]]]
        let a = applier()
        let state = F.state(F.goldenState().allPorts.filter { $0.key.family == .ipv4 }, config: F.config(families: [.ipv4]))
        _ = try await a.applyFull(state)
        #expect(tools.saves == 1, "only the IPv6 family, which has tables, is read")
        #expect(tools.rules[.ipv6]?["nat"]?["SWITCHYARD-SERVICES"] == nil)
        #expect(tools.count(.ipv6, "nat", "PREROUTING", target: "SWITCHYARD-SERVICES") == 0)
    }

    @Test func resyncSkipsAnIntactRulesetAndRepairsATamperedOne() async throws {
        let a = applier()
        kernel.bulk = true
        let state = F.goldenState()
        _ = try await a.applyFull(state)
        let restores = tools.restores.count, saves = tools.saves
        _ = try await a.applyFull(state)
        #expect(tools.restores.count == restores && tools.saves == saves, "just restored, unchanged: no iptables process")
        clock.advance(.seconds(301))
        _ = try await a.applyFull(state)
        #expect(tools.restores.count == restores, "intact: only iptables-save ran")
        #expect(tools.saves == saves + 2, "one save per family once the verify interval passed")
        tools.rules[.ipv4]!["nat"]!["SWITCHYARD-POSTROUTING"]!.removeLast()
        tools.rules[.ipv6]!["filter"]!["INPUT"]!.removeAll()
        _ = try await a.applyFull(state)
        #expect(tools.restores.count == restores, "tampering inside the interval goes unseen")
        clock.advance(.seconds(301))
        _ = try await a.applyFull(state)
        #expect(tools.restores.count == restores + 2)
        #expect(IPVSIptablesSync.isIntact(try #require(renderedPlan(state).iptables[.ipv4]), save: try tools.iptablesSave(.ipv4)))
        #expect(tools.count(.ipv6, "filter", "INPUT", target: "SWITCHYARD-IPVS-FILTER") == 1)
        #expect(kernel.destinationDumps == 0, "the bulk table replaced per-service dumps")
        kernel.bulkOmits = [Self.kkey(.tcp, "10.96.0.20", 80)]
        kernel.executed = []
        _ = try await a.applyFull(state)
        #expect(kernel.destinationDumps == 1 && kernel.executed.isEmpty, "a service missing from the table is dumped alone")
    }

    @Test func procTableParses() throws {
        let text = """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port Forward Weight ActiveConn InActConn
            TCP  0A600014:0050 rr persistent 10800 FFFFFFFF
              -> 0AF40106:1F90      Masq    1      2          3
              -> 0AF40208:1F90      Masq    0      0          1
            UDP  [fd00:0010:0096:0000:0000:0000:0000:000a]:0035 lc
              -> [fd00:0010:0244:0001:0000:0000:0000:0005]:0035      Masq    1      0          0
            TCP  C000020A:7530 rr
            FWM  00004000 sh
            """
        let t = try #require(IPVSProcTable.parse(text))
        let web = t[Self.kkey(.tcp, "10.96.0.20", 80)]
        #expect(web?.map(\.destination.address) == [F.ip("10.244.1.6"), F.ip("10.244.2.8")])
        #expect(web?.first?.activeConnections == 2 && web?.first?.inactiveConnections == 3 && web?.last?.destination.weight == 0)
        #expect(t[Self.kkey(.udp, "fd00:10:96::a", 53)]?.first?.destination.address == F.ip("fd00:10:244:1::5"))
        #expect(t[Self.kkey(.tcp, "192.0.2.10", 30000)] == [])
        #expect(t.count == 4)
        // A record shown twice (the seq_file raced a change elsewhere) replaces itself.
        let twice = try #require(IPVSProcTable.parse(text + "\nTCP  0A600014:0050 rr\n  -> 0AF40106:1F90      Masq    1      0          0"))
        #expect(twice[Self.kkey(.tcp, "10.96.0.20", 80)]?.count == 1)
        #expect(IPVSProcTable.parse(text + "\n  -> garbage") == nil)
    }
}
