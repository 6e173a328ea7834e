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
            #expect(v4.contains("10.96.0.1 . tcp . 80 comment \"default/web-1:http\" : goto cip-2"))
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
            #expect(record == NftRecord().applying(NftablesRenderer().renderFull(new).transaction))
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
            await #expect(throws: ApplyError.self) { try await applier.applyIncremental(diff, state: old) }
            #expect(try ns.nft("list", "ruleset").check().out == before)
            let recordAfter = await applier.record
            #expect(recordAfter == recordBefore)
        }
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
