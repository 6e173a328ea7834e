import Apply
import Diff
import Foundation
import Model
@testable import RenderNftables
import SwitchyardCore
import Testing
@testable import ApplyNftables

/// The fast full sync (skeleton through nft, elements through one netlink batch) against the
/// real kernel: same tables as one `nft -f` of the full render, stale objects removed, a kernel
/// table it cannot update in place replaced atomically, and huge loads split into batches.
@Suite("NftablesApplier fast full load", .serialized, .enabled(if: TestNamespace.available))
struct NftFullLoadTests {
    typealias F = ApplyFixtures

    /// Listing lines of both tables, sorted (element order within a listing may differ).
    static func tables(_ ns: TestNamespace) throws -> [String] {
        try ["ip", "ip6"].flatMap { try NftablesApplierTests.lines(ns.nft("list", "table", $0, "switchyard").check().out) }
    }

    /// The reference: the full render loaded by nft in one transaction.
    static func reference(_ state: ProxyState) async throws -> [String] {
        try await TestNamespace.with { ns in
            _ = try await NftablesApplier(netns: ns.name, elementFastPath: false).applyFull(state)
            return try tables(ns)
        }
    }

    static var ports: [ServicePort] {
        var p = F.base
        p.append(F.web(7, [], nodePort: 30007))                                   // reject elements
        p.append(F.web(8, (1...5).map { F.ep("10.244.8.\($0)", 80) }, nodePort: 30008))
        p.append(F.web6(3, [F.ep("fd00:10:244:3::1", 80), F.ep("fd00:10:244:3::2", 80)]))
        return p
    }

    @Test func fastLoadEqualsOneTransaction() async throws {
        let state = F.state(Self.ports)
        let want = try await Self.reference(state)
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            let report = try await applier.applyFull(state)
            #expect(report.full && report.elementsWritten > 0)
            #expect(await applier.lastFullLoad?.fast == true)
            #expect(try Self.tables(ns) == want)
        }
    }

    @Test func restartRemovesStaleObjectsAndKeepsOthers() async throws {
        let old = F.state(Self.ports + [F.web(9, (1...7).map { F.ep("10.244.9.\($0)", 80) })])
        let new = F.state(F.base)
        let want = try await Self.reference(new)
        try await TestNamespace.with { ns in
            _ = try await NftablesApplier(netns: ns.name).applyFull(old)
            try ns.nft(script: "add table ip other\nadd chain ip other keep\nadd chain ip switchyard stray\n").check()
            // A fresh applier (a restart) finds the old table: count sets, chains and elements it no longer needs go.
            let restarted = NftablesApplier(netns: ns.name)
            _ = try await restarted.applyFull(new)
            let load = await restarted.lastFullLoad
            #expect(load?.fast == true, "\(String(describing: load))")
            #expect(try Self.tables(ns) == want)
            #expect(try ns.nft("list", "table", "ip", "other").check().out.contains("chain keep"))
        }
    }

    @Test func incompatibleTableIsReplacedInOneTransaction() async throws {
        let state = F.state(F.base)
        let want = try await Self.reference(state)
        try await TestNamespace.with { ns in
            // An older shape: a set of our name with another type cannot be updated in place.
            try ns.nft(script: "add table ip switchyard\nadd set ip switchyard cluster_ips { type inet_service; }\n").check()
            let applier = NftablesApplier(netns: ns.name)
            _ = try await applier.applyFull(state)
            #expect(await applier.lastFullLoad?.fast == false, "the in-place update fails; one transaction replaces the table")
            #expect(try Self.tables(ns) == want)
        }
    }

    @Test func loadSplitIntoBatchesWhenTooLarge() async throws {
        let ports = (1...200).map { F.web($0, (1...3).map { F.ep("10.244.\($0).\($0 % 7 + 1)", 8000 + UInt16($0)) }) }
        let state = F.state(ports)
        let want = try await Self.reference(state)
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name, maxBatchBytes: 4096)
            _ = try await applier.applyFull(state)
            #expect(await applier.lastFullLoad?.fast == true)
            #expect(try Self.tables(ns) == want)
        }
    }

    @Test func planKeepsStaleDispatchUntilDataIsReplaced() throws {
        let full = NftablesRenderer().renderFull(F.state(F.base)).transaction
        let chains = full.commands.compactMap { c -> String? in if case .addChain(.ip, let ch) = c { return ch.name }; return nil }
        var inv = NftNetlink.Inventory()
        inv.exists = true
        inv.sets = ["cip_70", "cluster_ips"]
        inv.chains = Set(chains + ["cip-70"])
        let plan = NftLoadPlan(full: full, inventory: [.ip: inv]) { NftElementCodec.layout($0) != nil }
        #expect(plan.fallback == nil)
        let step1 = plan.skeleton.text
        // The stale count set's rule is re-added after the flush, so its data serves until the batch.
        #expect(step1.contains("add rule ip switchyard dispatch-addr ip daddr . meta l4proto . th dport @cip_70 goto cip-70"))
        #expect(!step1.contains("delete"))
        #expect(!step1.contains("add element ip switchyard cip_"), "count sets load through netlink")
        #expect(!step1.contains("flush chain ip switchyard cip-2"), "shared chains in the kernel are kept")
        #expect(!step1.contains("add rule ip switchyard cip-2"))
        #expect(step1.contains("add rule ip6 switchyard cip-1 "), "a family without a table is created whole")
        #expect(plan.flushes.contains { $0.family == .ip && $0.set == "cip_70" })
        let cleanup = try #require(plan.cleanup).text
        #expect(cleanup.contains("delete set ip switchyard cip_70"))
        #expect(cleanup.contains("delete chain ip switchyard cip-70"))
        #expect(!cleanup.contains("@cip_70"))
    }

    @Test func planFallsBackOnlyForAnotherShape() {
        let full = NftablesRenderer().renderFull(F.state(F.base)).transaction
        let chains = full.commands.compactMap { c -> String? in if case .addChain(.ip, let ch) = c { return ch.name }; return nil }
        var inv = NftNetlink.Inventory()
        inv.exists = true
        inv.chains = Set(chains.filter { !$0.hasPrefix(NftNames.shapeMarkerPrefix) })
        #expect(NftLoadPlan(full: full, inventory: [.ip: inv]) { _ in true }.fallback != nil, "another shape")
        inv.chains = Set(chains)
        #expect(NftLoadPlan(full: full, inventory: [.ip: inv]) { _ in true }.fallback == nil)
        // A shared chain the kernel lacks is created (with its endpoint map, new too); the others stay.
        inv.chains = Set(chains.filter { $0 != "cip-2" })
        let plan = NftLoadPlan(full: full, inventory: [.ip: inv]) { _ in true }
        #expect(plan.fallback == nil)
        #expect(plan.skeleton.text.contains("add rule ip switchyard cip-2 dnat ip to"))
        #expect(!plan.skeleton.text.contains("add rule ip switchyard cip-1 "))
    }

    @Test func encodeKeepsEveryMessageUnder64KiB() throws {
        // 1000 elements with long comments do not fit one 16-bit attribute length.
        let els = (0..<1500).map { i in
            NftElement(.frontend(NftFrontend(address: IPAddress("10.96.\(i / 250).\(i % 250 + 1)")!, proto: .tcp, port: 80)), comment: "namespace-\(i)/a-fairly-long-service-name:http")
        }
        let op = NftNetlink.Op(add: true, family: .ip, table: "switchyard", set: "cip_2", elements: els)
        let e = try #require(NftNetlink.encode([op, op], firstSeq: 10))
        #expect(e.messages.count > 4)
        #expect(e.messages.allSatisfy { $0.count < 65_536 })
        // Lines follow the script (1000 elements per line): messages never straddle a line.
        #expect(e.lines.first == 0 && e.lines.last == 3)
        #expect(e.lines == e.lines.sorted())
        let seqs = e.messages.map { NftNetlink.u32($0, 8) }
        #expect(seqs == (0..<UInt32(e.messages.count)).map { 10 + $0 })
    }
}
