import Conntrack
import Diff
import Model
import SwitchyardCore
import Testing

/// The cleaner against a real conntrack table in a throwaway namespace (root only).
/// Every inserted entry has its own original source port, which names it in the assertions.
@Suite(.serialized, .enabled(if: CTNamespace.available, "needs root, ip and conntrack"))
struct ConntrackKernelTests {
    let a = PF.ep("10.244.1.5"), b = PF.ep("10.244.2.7"), c = PF.ep("10.244.3.9")

    /// UDP dns: ClusterIP 10.96.0.10:53, NodePort 30053, external IP 203.0.113.10; b replaced by c.
    var dnsOld: ServicePort { PF.port(nodePort: 30053, externalIPs: ["203.0.113.10"], endpoints: [a, b]) }
    var dnsNew: ServicePort { PF.port(nodePort: 30053, externalIPs: ["203.0.113.10"], endpoints: [a, c]) }
    /// UDP syslog: ClusterIP 10.96.0.20:514, NodePort 30514; zero endpoints → one.
    var logOld: ServicePort { PF.port("syslog", clusterIP: "10.96.0.20", port: 514, nodePort: 30514) }
    var logNew: ServicePort { PF.port("syslog", clusterIP: "10.96.0.20", port: 514, nodePort: 30514, endpoints: [PF.ep("10.244.1.8", 514)]) }
    /// IPv6 dns: fd00:10:96::a:53; ::7 removed.
    var v6Old: ServicePort { PF.port(family: .ipv6, clusterIP: "fd00:10:96::a", endpoints: [PF.ep("fd00:10:244::5"), PF.ep("fd00:10:244::7")]) }
    var v6New: ServicePort { PF.port(family: .ipv6, clusterIP: "fd00:10:96::a", endpoints: [PF.ep("fd00:10:244::5")]) }

    /// Inserts the scenario's entries; returns (ports that must go, ports that must stay).
    func populate(_ ns: CTNamespace) throws -> (gone: Set<UInt16>, kept: Set<UInt16>) {
        // dns, endpoint 10.244.2.7 removed.
        try ns.insert(src: "10.244.9.1", sport: 40001, dst: "10.96.0.10", dport: 53, replySrc: "10.244.2.7", replySport: 53)
        try ns.insert(src: "10.244.9.1", sport: 40002, dst: "10.96.0.10", dport: 53, replySrc: "10.244.1.5", replySport: 53)
        try ns.insert(src: "198.51.100.7", sport: 40003, dst: "192.0.2.10", dport: 30053, replySrc: "10.244.2.7", replySport: 53)
        try ns.insert(src: "198.51.100.7", sport: 40004, dst: "203.0.113.10", dport: 53, replySrc: "10.244.2.7", replySport: 53)
        try ns.insert(src: "10.244.9.1", sport: 40005, dst: "10.96.0.99", dport: 53, replySrc: "10.244.2.7", replySport: 53)
        try ns.insert(proto: "tcp", src: "10.244.9.1", sport: 40006, dst: "10.96.0.10", dport: 53, replySrc: "10.244.2.7", replySport: 53)
        try ns.insert(src: "10.244.9.1", sport: 40007, dst: "10.96.0.10", dport: 53, replySrc: "10.244.2.7", replySport: 53, zone: 5)
        try ns.insert(src: "198.51.100.7", sport: 40008, dst: "192.0.2.10", dport: 30053, replySrc: "10.244.1.5", replySport: 53)
        // syslog, zero → some: untranslated entries are blackholes.
        try ns.insert(src: "10.244.9.1", sport: 41001, dst: "10.96.0.20", dport: 514, replySrc: "10.96.0.20", replySport: 514)
        try ns.insert(src: "192.0.2.99", sport: 41002, dst: "192.0.2.10", dport: 30514, replySrc: "192.0.2.10", replySport: 30514)
        try ns.insert(src: "10.244.9.1", sport: 41003, dst: "10.96.0.20", dport: 514, replySrc: "10.244.1.8", replySport: 514)
        try ns.insert(src: "10.244.9.1", sport: 41004, dst: "10.96.0.21", dport: 514, replySrc: "10.96.0.21", replySport: 514)
        // IPv6 dns, fd00:10:244::7 removed.
        try ns.insert(src: "fd00:10:244::99", sport: 42001, dst: "fd00:10:96::a", dport: 53, replySrc: "fd00:10:244::7", replySport: 53)
        try ns.insert(src: "fd00:10:244::99", sport: 42002, dst: "fd00:10:96::a", dport: 53, replySrc: "fd00:10:244::5", replySport: 53)
        return ([40001, 40003, 40004, 40007, 41001, 41002, 42001], [40002, 40005, 40006, 40008, 41003, 41004, 42002])
    }

    @Test func diffPlanDeletesExactlyTheStaleEntries() throws {
        try CTNamespace.with { ns in
            let (gone, kept) = try populate(ns)
            #expect(try ns.sourcePorts() == gone.union(kept))
            let diff = StateDiff(changed: [PortChange(old: dnsOld, new: dnsNew), PortChange(old: logOld, new: logNew),
                                           PortChange(old: v6Old, new: v6New)])
            let cleaner = try ConntrackCleaner(netns: ns.name)
            let deleted = try cleaner.apply(ConntrackPlan.forDiff(diff))
            #expect(deleted == gone.count)
            #expect(try ns.sourcePorts() == kept)
            // Idempotent: nothing left to delete.
            #expect(try cleaner.apply(ConntrackPlan.forDiff(diff)) == 0)
            #expect(try ns.sourcePorts() == kept)
        }
    }

    @Test func restartReconcileKeepsLiveFlows() throws {
        try CTNamespace.with { ns in
            _ = try populate(ns)
            let new = PF.state([dnsNew, logNew, v6New])
            let deleted = try ConntrackCleaner(netns: ns.name).apply(ConntrackPlan.forFullSync(old: PF.state([]), new: new))
            // Same outcome as the diff: flows to live endpoints and other services survive a restart.
            #expect(try ns.sourcePorts() == [40002, 40005, 40006, 40008, 41003, 41004, 42002])
            #expect(deleted == 7)
        }
    }

    @Test func entriesAreReadBack() throws {
        try CTNamespace.with { ns in
            try ns.insert(src: "10.244.9.1", sport: 40001, dst: "10.96.0.10", dport: 53, replySrc: "10.244.2.7", replySport: 5353, zone: 7)
            try ns.insert(src: "fd00:10:244::99", sport: 42001, dst: "fd00:10:96::a", dport: 53, replySrc: "fd00:10:244::7", replySport: 53)
            let cleaner = try ConntrackCleaner(netns: ns.name)
            let v4 = try cleaner.entries(family: .ipv4), v6 = try cleaner.entries(family: .ipv6)
            #expect(v4.count == 1 && v6.count == 1)
            let e = try #require(v4.first)
            #expect(e.proto == 17 && e.zone == 7 && e.id != nil)
            #expect(e.original == ConntrackTuple(source: PF.addr("10.244.9.1", 40001), destination: PF.addr("10.96.0.10", 53)))
            #expect(e.reply == ConntrackTuple(source: PF.addr("10.244.2.7", 5353), destination: PF.addr("10.244.9.1", 40001)))
            #expect(v6.first?.reply.source == PF.addr("fd00:10:244::7", 53))
        }
    }

    @Test func emptyPlanTouchesNothing() throws {
        try CTNamespace.with { ns in
            try ns.insert(src: "10.244.9.1", sport: 40001, dst: "10.96.0.10", dport: 53, replySrc: "10.96.0.10", replySport: 53)
            #expect(try ConntrackCleaner(netns: ns.name).apply([]) == 0)
            #expect(try ns.sourcePorts() == [40001])
        }
    }

    @Test func missingNamespaceIsATypedError() {
        #expect(throws: ConntrackError.namespace(name: "sy-ct-no-such-namespace", errno: 2)) {
            _ = try ConntrackCleaner(netns: "sy-ct-no-such-namespace")
        }
        #expect(throws: ConntrackError.self) { _ = try ConntrackCleaner(netns: "../etc") }
    }
}
