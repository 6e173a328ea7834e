import Conntrack
import Diff
import Model
import SwitchyardCore
import Testing

@Suite struct ConntrackPlanTests {
    let a = PF.ep("10.244.1.5"), b = PF.ep("10.244.2.7"), c = PF.ep("10.244.3.9")
    let client = PF.addr("10.244.9.1", 40000)

    @Test func removedEndpointDeletesOnlyItsFlows() {
        let old = PF.port(endpoints: [a, b]), new = PF.port(endpoints: [a])
        let plan = ConntrackPlan.forDiff(PF.change(old, new))
        #expect(plan == [ConntrackDeletion(family: .ipv4, proto: .udp, destination: PF.ip("10.96.0.10"), destinationPort: 53,
                                           replySource: .endpoint(PF.addr("10.244.2.7", 53)))])
        let svc = PF.addr("10.96.0.10", 53)
        #expect(PF.deleted(PF.entry(client: client, dst: svc, replySource: PF.addr("10.244.2.7", 53)), by: plan))
        #expect(!PF.deleted(PF.entry(client: client, dst: svc, replySource: PF.addr("10.244.1.5", 53)), by: plan))
        // Same endpoint behind another service: untouched.
        #expect(!PF.deleted(PF.entry(client: client, dst: PF.addr("10.96.0.11", 53), replySource: PF.addr("10.244.2.7", 53)), by: plan))
    }

    @Test func replacedEndpointDeletesOldNoBlackholeSweep() {
        let plan = ConntrackPlan.forDiff(PF.change(PF.port(endpoints: [a]), PF.port(endpoints: [c])))
        #expect(plan.map(\.replySource) == [.endpoint(PF.addr("10.244.1.5", 53))])
    }

    @Test func changedTargetPortOnSameAddressIsCleaned() {
        let plan = ConntrackPlan.forDiff(PF.change(PF.port(endpoints: [a]), PF.port(endpoints: [PF.ep("10.244.1.5", 5353)])))
        #expect(plan.map(\.replySource) == [.endpoint(PF.addr("10.244.1.5", 53))])
    }

    @Test func scaleToZeroDeletesFlowsToEveryOldEndpoint() {
        let plan = ConntrackPlan.forDiff(PF.change(PF.port(endpoints: [a, b]), PF.port(endpoints: [])))
        #expect(Set(plan.map(\.replySource)) == [.endpoint(PF.addr("10.244.1.5", 53)), .endpoint(PF.addr("10.244.2.7", 53))])
    }

    @Test func zeroToSomeDeletesUntranslatedEntriesOnEveryFrontend() {
        let old = PF.port(nodePort: 30053, externalIPs: ["203.0.113.10"], lbIPs: ["198.51.100.20"])
        var new = old
        new.clusterEndpoints = [a]; new.internalTraffic = .forward(.cluster); new.externalTraffic = .forward(.cluster)
        let plan = ConntrackPlan.forDiff(PF.change(old, new))
        #expect(plan.allSatisfy { $0.replySource == .notTranslated })
        #expect(Set(plan.map { "\($0.destination.map(\.description) ?? "*"):\($0.destinationPort)" })
                == ["10.96.0.10:53", "203.0.113.10:53", "198.51.100.20:53", "*:30053"])
        // The blackhole (reply source = original destination) goes; a flow already DNATed stays.
        let nodeIP = PF.addr("192.0.2.10", 30053)
        #expect(PF.deleted(PF.entry(client: client, dst: PF.addr("10.96.0.10", 53), replySource: PF.addr("10.96.0.10", 53)), by: plan))
        #expect(PF.deleted(PF.entry(client: PF.addr("198.51.100.7", 1000), dst: nodeIP, replySource: nodeIP), by: plan))
        #expect(!PF.deleted(PF.entry(client: client, dst: PF.addr("10.96.0.10", 53), replySource: PF.addr("10.244.1.5", 53)), by: plan))
    }

    @Test func endpointRemovalCoversNodePortExternalAndLoadBalancerIPs() {
        let old = PF.port(nodePort: 30053, externalIPs: ["203.0.113.10"], lbIPs: ["198.51.100.20"], endpoints: [a, b])
        var new = old
        new.clusterEndpoints = [a]
        let plan = ConntrackPlan.forDiff(PF.change(old, new))
        #expect(plan.count == 4)
        #expect(plan.allSatisfy { $0.replySource == .endpoint(PF.addr("10.244.2.7", 53)) })
        let dead = PF.addr("10.244.2.7", 53)
        for dst in [PF.addr("10.96.0.10", 53), PF.addr("203.0.113.10", 53), PF.addr("198.51.100.20", 53),
                    PF.addr("192.0.2.10", 30053), PF.addr("192.0.2.11", 30053)] {
            #expect(PF.deleted(PF.entry(client: client, dst: dst, replySource: dead), by: plan), "\(dst)")
        }
        #expect(!PF.deleted(PF.entry(client: client, dst: PF.addr("192.0.2.10", 30054), replySource: dead), by: plan))
    }

    @Test func localEndpointsCountAsReachable() {
        let old = PF.port(nodePort: 30053, endpoints: [a], local: [a])
        let new = PF.port(nodePort: 30053, endpoints: [a], local: [])
        // a is still a cluster endpoint: nothing to delete.
        #expect(ConntrackPlan.forDiff(PF.change(old, new)).isEmpty)
    }

    @Test func tcpIsIgnored() {
        let diff = StateDiff(added: [PF.port("t1", proto: .tcp, endpoints: [a])],
                             removed: [PF.port("t2", proto: .tcp, endpoints: [b])],
                             changed: [PortChange(old: PF.port("t3", proto: .tcp, endpoints: [a, b]), new: PF.port("t3", proto: .tcp, endpoints: []))])
        #expect(ConntrackPlan.forDiff(diff).isEmpty)
        #expect(ConntrackPlan.forFullSync(old: PF.state([]), new: PF.state([PF.port("t1", proto: .tcp, endpoints: [a])])).isEmpty)
    }

    @Test func sctpIsTreatedLikeUDP() {
        let plan = ConntrackPlan.forDiff(PF.change(PF.port(proto: .sctp, endpoints: [a, b]), PF.port(proto: .sctp, endpoints: [a])))
        #expect(plan.map(\.proto) == [.sctp])
        #expect(!PF.deleted(PF.entry(client: client, dst: PF.addr("10.96.0.10", 53), replySource: PF.addr("10.244.2.7", 53)), by: plan))
        #expect(PF.deleted(PF.entry(client: client, dst: PF.addr("10.96.0.10", 53), replySource: PF.addr("10.244.2.7", 53), proto: 132), by: plan))
    }

    @Test func dualStackPortsAreCleanedPerFamily() {
        let v6a = PF.ep("fd00:10:244::5"), v6b = PF.ep("fd00:10:244::7")
        let old4 = PF.port(nodePort: 30053, endpoints: [a, b]), new4 = PF.port(nodePort: 30053, endpoints: [a])
        let old6 = PF.port(family: .ipv6, clusterIP: "fd00:10:96::a", nodePort: 30053, endpoints: [v6a, v6b])
        let new6 = PF.port(family: .ipv6, clusterIP: "fd00:10:96::a", nodePort: 30053, endpoints: [v6a])
        let plan = ConntrackPlan.forDiff(StateDiff(changed: [PortChange(old: old4, new: new4), PortChange(old: old6, new: new6)]))
        #expect(plan.filter { $0.family == .ipv4 }.map(\.replySource) == Array(repeating: .endpoint(PF.addr("10.244.2.7", 53)), count: 2))
        #expect(plan.filter { $0.family == .ipv6 }.map(\.replySource) == Array(repeating: .endpoint(PF.addr("fd00:10:244::7", 53)), count: 2))
        #expect(plan.filter { $0.family == .ipv6 }.compactMap(\.destination) == [PF.ip("fd00:10:96::a")])
        let c6 = PF.addr("fd00:10:244::99", 40000)
        #expect(PF.deleted(PF.entry(client: c6, dst: PF.addr("2001:db8::10", 30053), replySource: PF.addr("fd00:10:244::7", 53)), by: plan))
        // An IPv4 filter never matches an IPv6 entry.
        #expect(!PF.deleted(PF.entry(client: c6, dst: PF.addr("2001:db8::10", 30053), replySource: PF.addr("fd00:10:244::5", 53)), by: plan))
    }

    @Test func removedPortDeletesFlowsToAllItsEndpoints() {
        let gone = PF.port(nodePort: 30053, endpoints: [a, b])
        let plan = ConntrackPlan.forDiff(StateDiff(removed: [gone]))
        #expect(plan.count == 4)   // 2 endpoints × (ClusterIP, NodePort)
        #expect(!plan.contains { $0.replySource == .notTranslated })
    }

    @Test func addedPortSweepsBlackholesOnlyWhenItHasEndpoints() {
        #expect(ConntrackPlan.forDiff(StateDiff(added: [PF.port(endpoints: [])])).isEmpty)
        let plan = ConntrackPlan.forDiff(StateDiff(added: [PF.port(nodePort: 30053, endpoints: [a])]))
        #expect(plan.count == 2 && plan.allSatisfy { $0.replySource == .notTranslated })
    }

    @Test func newFrontendOnServedPortSweepsOnlyThatFrontend() {
        let old = PF.port(endpoints: [a]), new = PF.port(externalIPs: ["203.0.113.10"], endpoints: [a])
        let plan = ConntrackPlan.forDiff(PF.change(old, new))
        #expect(plan == [ConntrackDeletion(family: .ipv4, proto: .udp, destination: PF.ip("203.0.113.10"), destinationPort: 53,
                                           replySource: .notTranslated)])
    }

    /// kubernetes#122740: a restart (old state empty) must not cut established flows.
    @Test func restartKeepsFlowsToLiveEndpoints() {
        let new = PF.state([PF.port(nodePort: 30053, endpoints: [a, b]), PF.port("empty", clusterIP: "10.96.0.20", endpoints: [])])
        let live = PF.entry(client: client, dst: PF.addr("10.96.0.10", 53), replySource: PF.addr("10.244.1.5", 53))
        let liveNodePort = PF.entry(client: client, dst: PF.addr("192.0.2.10", 30053), replySource: PF.addr("10.244.2.7", 53))
        let blackhole = PF.entry(client: client, dst: PF.addr("10.96.0.10", 53), replySource: PF.addr("10.96.0.10", 53))
        let dead = PF.entry(client: client, dst: PF.addr("10.96.0.10", 53), replySource: PF.addr("10.244.3.9", 53))
        let toEmpty = PF.entry(client: client, dst: PF.addr("10.96.0.20", 53), replySource: PF.addr("10.244.3.9", 53))
        for reconcile in [false, true] {
            let plan = ConntrackPlan.forFullSync(old: PF.state([]), new: new, reconcile: reconcile)
            #expect(!PF.deleted(live, by: plan) && !PF.deleted(liveNodePort, by: plan))
            #expect(PF.deleted(blackhole, by: plan))
            // Only the reconciler knows about endpoints that vanished while nobody watched.
            #expect(PF.deleted(dead, by: plan) == reconcile)
            #expect(PF.deleted(toEmpty, by: plan) == reconcile)
        }
    }

    @Test func fullSyncIncludesRemovedServices() {
        let gone = PF.port("gone", clusterIP: "10.96.0.30", endpoints: [c])
        let plan = ConntrackPlan.forFullSync(old: PF.state([gone]), new: PF.state([]), reconcile: true)
        #expect(plan == [ConntrackDeletion(family: .ipv4, proto: .udp, destination: PF.ip("10.96.0.30"), destinationPort: 53,
                                           replySource: .endpoint(PF.addr("10.244.3.9", 53)))])
    }

    @Test func planHasNoDuplicates() {
        let old = PF.port(nodePort: 30053, externalIPs: ["10.96.0.10"], endpoints: [a, b])   // external IP = ClusterIP
        let new = PF.port(nodePort: 30053, externalIPs: ["10.96.0.10"], endpoints: [])
        let plan = ConntrackPlan.forDiff(PF.change(old, new))
        #expect(plan.count == Set(plan).count)
        #expect(plan.count == 4)
    }

    /// The daemon's incremental path: the engine's diff is the plan's only input, so the states
    /// (here deliberately inconsistent with the diff) are never compared.
    @Test func syncAfterAnIncrementalApplyFollowsTheAppliedDiffOnly() {
        let old = PF.port(endpoints: [a, b]), new = PF.port(endpoints: [a])
        let unrelated = PF.port("other", clusterIP: "10.96.0.40", endpoints: [c])
        let applied = PF.change(old, new)
        let plan = ConntrackPlan.forSync(old: PF.state([old, unrelated]), new: PF.state([new]), appliedDiff: applied)
        #expect(plan == ConntrackPlan.forDiff(applied))
        #expect(!plan.contains { $0.destination == PF.ip("10.96.0.40") }, "a service outside the diff is not looked at")
    }

    @Test func syncWithoutADiffOrAPreviousStateIsAFullSync() {
        let new = PF.state([PF.port(endpoints: [a])])
        #expect(ConntrackPlan.forSync(old: nil, new: new, appliedDiff: nil) == ConntrackPlan.forFullSync(old: PF.state([]), new: new))
        // A diff without a previous state (the worker missed the start) falls back to the full plan too.
        #expect(ConntrackPlan.forSync(old: nil, new: new, appliedDiff: StateDiff()) == ConntrackPlan.forFullSync(old: PF.state([]), new: new))
        let old = PF.state([PF.port(endpoints: [a, b])])
        #expect(ConntrackPlan.forSync(old: old, new: new, appliedDiff: nil) == ConntrackPlan.forFullSync(old: old, new: new))
    }
}
