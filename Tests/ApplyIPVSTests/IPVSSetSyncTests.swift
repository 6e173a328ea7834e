import IPVSNetlink
import RenderIPVS
import SwitchyardCore
import Testing
@testable import ApplyIPVS

/// The ipset half of a sync, as commands: full syncs against a listing, incremental operations.
@Suite struct IPVSSetSyncTests {
    typealias F = IPVSFixtures
    static let vip = IPSetMember.ipPort(F.ip("10.96.0.10"), .udp, 53)
    static let other = IPSetMember.ipPort(F.ip("10.96.0.11"), .tcp, 80)

    static func plan(_ sets: [IPVSIPSet]) -> IPVSPlan {
        IPVSPlan(ipsets: Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0) }))
    }

    static func listing(_ set: IPVSIPSet, _ members: [IPSetMember]) -> IPSetListing {
        let spec = IPVSConversion.spec(set.role, set.family, members: 0)
        return IPSetListing(name: set.name, typeName: spec.typeName, familyNumber: spec.familyNumber, members: members.map(IPVSConversion.element))
    }

    @Test func missingSetsAreCreatedAndFilledExistingOnesGetOnlyTheDifference() {
        let cluster = IPVSIPSet(role: .clusterIP, family: .ipv4, members: [Self.vip, Self.other])
        let ports = IPVSIPSet(role: .nodePortTCP, family: .ipv4, members: [.port(30080)])
        let plan = Self.plan([cluster, ports])
        let fresh = IPVSSetSync.full(plan, kernel: [:])
        #expect(fresh.count == 4)
        guard case .create(let spec) = fresh[0], case .add(_, let members) = fresh[1] else { Issue.record("\(fresh)"); return }
        #expect(spec.name == "SWITCHYARD-CLUSTER-IP" && spec.typeName == "hash:ip,port" && spec.hashSize == 1024)
        #expect(Set(members) == [IPVSConversion.element(Self.vip), IPVSConversion.element(Self.other)])
        #expect(fresh[2] == .create(IPSetSpec(name: "SWITCHYARD-NODE-PORT-TCP", typeName: "bitmap:port", family: .ipv4,
                                              maxElements: UInt32(IPVSIPSet.maxElements), portRange: 0...65535)))

        let stray = IPSetMember.ipPort(F.ip("10.96.9.9"), .tcp, 80)
        let kernel = [cluster.name: Self.listing(cluster, [Self.vip, stray]), ports.name: Self.listing(ports, [.port(30080)])]
        #expect(IPVSSetSync.full(plan, kernel: kernel) == [.delete(cluster.name, [IPVSConversion.element(stray)]),
                                                           .add(cluster.name, [IPVSConversion.element(Self.other)])])
        let matching = [cluster.name: Self.listing(cluster, [Self.other, Self.vip]), ports.name: Self.listing(ports, [.port(30080)])]
        #expect(IPVSSetSync.full(plan, kernel: matching).isEmpty)
    }

    @Test func aSetOfAnotherTypeUnderOurNameIsCreatedAgainSoTheKernelRefusesIt() {
        let cluster = IPVSIPSet(role: .clusterIP, family: .ipv4, members: [])
        let wrong = IPSetListing(name: cluster.name, typeName: "hash:ip", familyNumber: 2)
        #expect(IPVSSetSync.full(Self.plan([cluster]), kernel: [cluster.name: wrong]) == [.create(IPVSConversion.spec(.clusterIP, .ipv4, members: 0))])
    }

    @Test func staleSetsAreOursOnly() {
        let v6 = IPVSIPSet(role: .clusterIP, family: .ipv6)
        let kernel = [v6.name: Self.listing(v6, []), "KUBE-CLUSTER-IP": IPSetListing(name: "KUBE-CLUSTER-IP", typeName: "hash:ip,port", familyNumber: 2)]
        #expect(IPVSSetSync.stale(Self.plan([]), kernel: kernel) == ["SWITCHYARD-6-CLUSTER-IP"])
    }

    @Test func hashTablesAreSizedForTheirMembers() {
        #expect(IPVSConversion.spec(.clusterIP, .ipv4, members: 10).hashSize == 1024)
        #expect(IPVSConversion.spec(.clusterIP, .ipv4, members: 10_000).hashSize == 16384)
        #expect(IPVSConversion.spec(.loopback, .ipv6, members: 5_000_000).hashSize == 1 << 20)
    }

    @Test func incrementalOperationsMergeConsecutiveMembersOfOneSet() {
        let cluster = IPVSIPSet(role: .clusterIP, family: .ipv4)
        let commands = IPVSSetSync.commands([
            .createSet(cluster), .addSetMember(set: cluster.name, member: Self.vip), .addSetMember(set: cluster.name, member: Self.other),
            .addSetMember(set: "SWITCHYARD-IPVS-IPS", member: .ip(F.ip("10.96.0.10"))),
            .deleteSetMember(set: cluster.name, member: Self.vip), .destroySet("SWITCHYARD-6-DROP"),
        ])
        #expect(commands == [
            .create(IPVSConversion.spec(.clusterIP, .ipv4, members: 2)),
            .add(cluster.name, [IPVSConversion.element(Self.vip), IPVSConversion.element(Self.other)]),
            .add("SWITCHYARD-IPVS-IPS", [IPSetElement(ip: F.ip("10.96.0.10"))]),
            .delete(cluster.name, [IPVSConversion.element(Self.vip)]),
            .destroy("SWITCHYARD-6-DROP"),
        ])
    }
}
