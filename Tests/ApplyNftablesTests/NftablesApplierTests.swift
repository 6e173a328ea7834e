import Apply
import Diff
import Foundation
import Model
import RenderNftables
import SwitchyardCore
import Testing
@testable import ApplyNftables

/// The applier against the real kernel, inside throwaway namespaces (skips unless root).
@Suite("NftablesApplier in a namespace", .serialized, .enabled(if: TestNamespace.available))
struct NftablesApplierTests {
    typealias F = ApplyFixtures

    @Test func fullApplyLoadsOurTables() async throws {
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            let report = try await applier.applyFull(F.state(F.base))
            #expect(report.full)
            #expect(report.elementsWritten > 0)
            let v4 = try ns.nft("list", "table", "ip", "switchyard").check().out
            #expect(v4.contains("10.96.0.3 . tcp . 80 . 2 : 10.244.3.3 . 9000"))
            let cip2 = try ns.nft("list", "set", "ip", "switchyard", "cip_2").check().out
            #expect(cip2.contains("10.96.0.1 . tcp . 80 comment \"default/web-1:http\""))
            #expect(v4.contains("ip daddr . meta l4proto . th dport @cip_2 goto cip-2"))
            #expect(!v4.contains(": goto cip-"), "no per-service verdict elements")
            #expect(v4.contains("tcp . 30002"))
            let v6 = try ns.nft("list", "table", "ip6", "switchyard").check().out
            #expect(v6.contains("fd00:10:96::1 . tcp . 80 . 0 : fd00:10:244:1::1 . 8080"))
        }
    }

    @Test func incrementalAddAndDeleteAreReflected() async throws {
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            let old = F.state(F.base)
            _ = try await applier.applyFull(old)
            var ports = F.base
            ports[0] = F.web(1, [F.ep("10.244.1.1", 8080), F.ep("10.244.1.9", 8080)])   // endpoint replaced
            ports.remove(at: 2)                                                         // service removed
            ports.append(F.web(4, [F.ep("10.244.4.1", 7000)]))                          // service added
            let new = F.state(ports)
            let diff = StateDiff.full(old: old, new: new)
            let report = try await applier.applyIncremental(diff, state: new)
            #expect(!report.full)
            let v4 = try ns.nft("list", "table", "ip", "switchyard").check().out
            #expect(v4.contains("10.96.0.1 . tcp . 80 . 1 : 10.244.1.9 . 8080"))
            #expect(!v4.contains("10.244.1.2"))
            #expect(!v4.contains("10.96.0.3"))
            #expect(v4.contains("10.96.0.4 . tcp . 80 . 0 : 10.244.4.1 . 7000"))
            let record = try #require(await applier.record)
            // Count sets emptied by the delta stay (empty) until the next full sync.
            #expect(record.withoutEmptyFrontendSets == NftRecord().applying(NftablesRenderer().renderFull(new).transaction))
        }
    }

    @Test func rejectedTransactionLeavesOldRulesAndRecord() async throws {
        try await TestNamespace.with { ns in
            // A renderer whose table name nft cannot parse in the middle of a rule makes the kernel side fail;
            // here we make the kernel reject: an element delete of something absent.
            let applier = NftablesApplier(netns: ns.name)
            let old = F.state(F.base)
            _ = try await applier.applyFull(old)
            let before = try ns.nft("list", "ruleset").check().out
            let recordBefore = await applier.record
            // The diff claims a port existed that the kernel never had: deleting its elements fails.
            let ghost = F.web(9, [F.ep("10.244.9.1", 80)])
            let diff = StateDiff(removed: [ghost])
            let error = await #expect(throws: ApplyError.self) { try await applier.applyIncremental(diff, state: old) }
            #expect(error?.operation == "netlink batch")
            #expect(error?.errno == ENOENT)
            #expect(error?.lineText?.hasPrefix("delete element ip switchyard") == true, "\(String(describing: error))")
            #expect(try ns.nft("list", "ruleset").check().out == before)
            let recordAfter = await applier.record
            #expect(recordAfter == recordBefore)
        }
    }

    /// The fast path's binary elements list exactly as a full load of the same state does.
    @Test(arguments: [true, false])
    func incrementalMatchesFullLoad(fastPath: Bool) async throws {
        var ports = F.base
        let old = F.state(ports)
        ports[1] = F.web(2, [F.ep("10.244.2.1", 8080), F.ep("10.244.2.2", 8080)], nodePort: 30002)
        ports.append(F.web6(2, [F.ep("fd00:10:244:2::1", 80), F.ep("fd00:10:244:2::2", 80)]))
        ports.append(F.web(5, [], nodePort: 30005))   // no endpoints: reject elements
        let new = F.state(ports)
        try await TestNamespace.with { inc in
            try await TestNamespace.with { full in
                let a = NftablesApplier(netns: inc.name, elementFastPath: fastPath)
                _ = try await a.applyFull(old)
                _ = try await a.applyIncremental(StateDiff.full(old: old, new: new), state: new)
                _ = try await NftablesApplier(netns: full.name).applyFull(new)
                for fam in ["ip", "ip6"] {
                    // Count sets the delta emptied stay (with their dispatch rule) until the next full sync.
                    let x = Self.withoutEmptyFrontendSets(try inc.nft("list", "table", fam, "switchyard").check().out)
                    let y = try full.nft("list", "table", fam, "switchyard").check().out
                    #expect(Self.lines(x) == Self.lines(y), "\(fam) table differs")
                }
            }
        }
    }

    @Test func nftErrorsNameTheLine() async throws {
        try await TestNamespace.with { ns in
            for transport in [NftTransport.library, .process] {
                let applier = NftablesApplier(netns: ns.name, transport: transport)
                let script = "add table ip switchyard\nadd chain ip switchyard ok\nadd rule ip switchyard ok ip daddr 1.2.3.4 frobnicate\n"
                let error = await #expect(throws: ApplyError.self) { try await applier.runScript(script) }
                #expect(error?.line == 3, "\(String(describing: error))")
                #expect(error?.lineText == "add rule ip switchyard ok ip daddr 1.2.3.4 frobnicate")
                #expect(error?.message.isEmpty == false)
            }
            // Atomic: nothing of the failed script is left.
            let left = try ns.nft("list", "ruleset").check().out
            #expect(left.isEmpty)
        }
    }

    /// A table listing without the per-count objects a delta emptied: empty frontend sets
    /// (`cip_1`) and endpoint maps (`cip_eps_1`), the shared chains using those maps, and the
    /// dispatch rules of those sets (they stay until the next full sync).
    static func withoutEmptyFrontendSets(_ listing: String) -> String {
        let lines = listing.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Blocks `set|map|chain NAME {` … `}` (one level inside the table).
        var blocks: [(kind: String, name: String, range: Range<Int>, hasElements: Bool)] = []
        var i = 0
        while i < lines.count {
            let words = lines[i].trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
            if words.count == 3, ["set", "map", "chain"].contains(words[0]), words[2] == "{" {
                var j = i + 1
                while j < lines.count, lines[j].trimmingCharacters(in: .whitespaces) != "}" { j += 1 }
                let body = lines[(i + 1)..<min(j, lines.count)]
                blocks.append((words[0], words[1], i..<min(j + 1, lines.count), body.contains { $0.contains("elements = {") }))
                i = j + 1
            } else { i += 1 }
        }
        let emptySets = Set(blocks.filter {
            $0.kind != "chain" && !$0.hasElements
                && (NftSharedChain(frontendSet: $0.name) != nil || NftSharedChain(endpointMap: $0.name) != nil)
        }.map(\.name))
        var drop = IndexSet()
        for b in blocks {
            let usesEmpty = b.kind == "chain" && NftSharedChain(chain: b.name) != nil
                && lines[b.range].contains { l in emptySets.contains { l.hasSuffix("@\($0)") } }
            if emptySets.contains(b.name) || usesEmpty { drop.insert(integersIn: b.range) }
        }
        return lines.indices.filter { !drop.contains($0) }.map { lines[$0] }
            .filter { line in !emptySets.contains { line.contains("@\($0) ") } }
            .joined(separator: "\n")
    }

    /// The listing's lines, each trimmed, sorted (element order within a listing may differ).
    static func lines(_ s: String) -> [String] {
        s.split(whereSeparator: { $0 == "\n" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.sorted()
    }

    @Test func cleanupRemovesOnlyOurTables() async throws {
        try await TestNamespace.with { ns in
            try ns.nft(script: "add table ip other\nadd chain ip other keep\nadd table ip6 switchyardish\n").check()
            let applier = NftablesApplier(netns: ns.name)
            _ = try await applier.applyFull(F.state(F.base))
            try await applier.cleanup()
            let ruleset = try ns.nft("list", "ruleset").check().out
            #expect(!ruleset.contains("table ip switchyard "))
            #expect(!ruleset.contains("table ip6 switchyard "))
            #expect(ruleset.contains("table ip other"))
            #expect(ruleset.contains("chain keep"))
            #expect(ruleset.contains("table ip6 switchyardish"))
            try await applier.cleanup()   // idempotent: nothing to delete is fine
        }
    }
}

/// Drift detection and repair by the periodic full sync.
@Suite("NftablesApplier drift", .serialized, .enabled(if: TestNamespace.available))
struct NftablesDriftTests {
    typealias F = ApplyFixtures

    @Test func noDriftWhenUntouched() async throws {
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            _ = try await applier.applyFull(F.state(F.base))
            let again = try await applier.applyFull(F.state(F.base))
            #expect(again.driftRepaired == 0)
        }
    }

    @Test func flushRulesetIsDetectedAndRepaired() async throws {
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            let state = F.state(F.base)
            _ = try await applier.applyFull(state)
            let before = try ns.nft("list", "ruleset").check().out
            try ns.nft("flush", "ruleset").check()
            let repair = try await applier.applyFull(state)
            #expect(repair.driftRepaired > 0)
            #expect(try ns.nft("list", "ruleset").check().out == before)
        }
    }

    @Test func removedElementIsDetected() async throws {
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            let state = F.state(F.base)
            _ = try await applier.applyFull(state)
            try ns.nft("delete", "element", "ip", "switchyard", "cluster_ips", "{ 10.96.0.2 }").check()
            let repair = try await applier.applyFull(state)
            #expect(repair.driftRepaired == 1)
            let listing = try ns.nft("list", "set", "ip", "switchyard", "cluster_ips").check().out
            #expect(listing.contains("10.96.0.2"))
        }
    }
}

/// A restarted proxy (fresh applier, table already present) replaces the table without a gap.
@Suite("NftablesApplier restart", .serialized, .enabled(if: TestNamespace.available))
struct NftablesRestartTests {
    typealias F = ApplyFixtures

    @Test func tableNeverAbsentDuringReplacement() async throws {
        let ports = (1...250).map { F.web($0, [F.ep("10.244.\($0 % 250).1", 8080), F.ep("10.244.\($0 % 250).2", 8080)]) }
        try await TestNamespace.with { ns in
            _ = try await NftablesApplier(netns: ns.name).applyFull(F.state(ports))
            let name = ns.name
            // A concurrent reader lists our table in a loop while a fresh applier replaces it.
            let reader = Task.detached { () -> (Int, Int) in
                var ok = 0, failed = 0
                for _ in 0..<40 {
                    // web-1 is in every state: its frontend and endpoint slots must never be missing.
                    let r = try TestNamespace.run(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/nft", "list", "table", "ip", "switchyard"])
                    let serving = r.out.contains("10.96.0.1 . tcp . 80 comment") && r.out.contains("10.96.0.1 . tcp . 80 . 1 : 10.244.1.2 . 8080")
                    if r.status == 0 && serving { ok += 1 } else { failed += 1 }
                }
                return (ok, failed)
            }
            // Restarts alternate between two states (other services change their endpoint counts).
            var other = ports
            for i in 1..<other.count { other[i] = F.web(i + 1, [F.ep("10.244.\((i + 1) % 250).1", 8080)]) }
            for round in 0..<4 {
                let applier = NftablesApplier(netns: ns.name)
                _ = try await applier.applyFull(F.state(round % 2 == 0 ? other : ports))
                #expect(await applier.lastFullLoad?.fast == true)
            }
            let (ok, failed) = try await reader.value
            #expect(failed == 0)
            #expect(ok == 40)
        }
    }
}
