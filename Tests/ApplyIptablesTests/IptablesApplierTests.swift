import TestCluster
import Apply
import Diff
import Foundation
import KubeObjects
import Model
import RenderIptables
import Synthetic
import SwitchyardCore
import Testing
@testable import ApplyIptables

/// The applier against the real kernel, inside throwaway namespaces (skips unless root).
@Suite("IptablesApplier in a namespace", .serialized, .enabled(if: IptNamespace.available))
struct IptablesApplierTests {
    typealias F = ApplyFixtures

    @Test(arguments: IptablesVariant.allCases)
    func fullSyncsInsertJumpsOnceAcrossResyncsAndRestarts(variant: IptablesVariant) async throws {
        try await IptNamespace.with { ns in
            let state = F.state(F.base)
            let a = IptablesApplier(variant: variant, netns: ns.name)
            let first = try await a.applyFull(state)
            #expect(first.full && first.rulesWritten > 0 && first.driftRepaired == 0)
            _ = try await a.applyFull(state)
            let again = try await a.applyFull(state)
            #expect(again.driftRepaired == 0)
            // A restart: a new applier meets the existing rules.
            _ = try await IptablesApplier(variant: variant, netns: ns.name).applyFull(state)
            for fam in IPFamily.allCases {
                let save = try ns.save(variant.rawValue, fam)
                for j in IptablesJumps.all {
                    let n = save.split(separator: "\n").filter { $0 == "-A \(j.chain) \(j.spec)" }.count
                    #expect(n == 1, "\(fam) \(j.table) \(j.chain): \(n) copies of \(j.spec)")
                }
                #expect(IptablesJumps.missing(from: save).isEmpty)
            }
            let v4 = try ns.save(variant.rawValue, .ipv4)
            #expect(v4.contains("-A SWITCHYARD-SVC-") && v4.contains("--to-destination 10.244.3.3:9000"))
            #expect(v4.contains("--dport 30002"))
            let v6 = try ns.save(variant.rawValue, .ipv6)
            #expect(v6.contains("--to-destination [fd00:10:244:1::1]:8080"))
            #expect(try ns.ipsetMembers("SWITCHYARD-HAIRPIN-V4")?.contains("10.244.3.3,tcp:9000,10.244.3.3") == true)
        }
    }

    /// A random sequence of partial syncs leaves exactly what one full sync of the final state writes.
    @Test(arguments: IptablesVariant.allCases)
    func partialSyncsMatchAFreshFullSync(variant: IptablesVariant) async throws {
        let cluster = SyntheticCluster(seed: 11, services: 40, endpointsPerService: 3, mix: .init(nodePort: 0.2, loadBalancer: 0.1, externalTrafficLocal: 0.3, internalTrafficLocal: 0.1,
                                                                                               clientIPAffinity: 0.1, multiPort: 0.2, udp: 0.1, dualStack: 0.2,
                                                                                               terminatingEndpoints: 0.05))
        var tracker = ProxyStateTracker(config: NodeConfig(nodeName: cluster.nodeName,
            clusterCIDRs: [CIDR(SyntheticCluster.clusterCIDR)!, CIDR(SyntheticCluster.clusterCIDRv6)!]))
        _ = tracker.apply(cluster.objects().map { ObjectEvent.upsert($0) })
        var state = tracker.commit().state
        var churn = ChurnGenerator(cluster: cluster, kind: .mixed, seed: 5)
        try await IptNamespace.with { inc in
            let a = IptablesApplier(variant: variant, netns: inc.name)
            _ = try await a.applyFull(state)
            var partials = 0
            for step in 0..<25 {
                _ = tracker.apply(churn.nextChange())
                let ch = tracker.commit()
                let diff = StateDiff.between(old: ch.previous, new: ch.state, services: ch.changedServices, nodeChanged: ch.nodeChanged)
                let r = try await a.applyIncremental(diff, state: ch.state)
                if !r.full { partials += 1 }
                state = ch.state
                if step % 8 == 7 || step == 24 { try await Self.expectSameAsFresh(inc, state: state, variant: variant) }
            }
            #expect(partials == 25)
        }
    }

    static func expectSameAsFresh(_ inc: IptNamespace, state: ProxyState, variant: IptablesVariant) async throws {
        try await IptNamespace.with { fresh in
            _ = try await IptablesApplier(variant: variant, netns: fresh.name).applyFull(state)
            for fam in IPFamily.allCases {
                let x = SavedView.ours(try inc.save(variant.rawValue, fam))
                let y = SavedView.ours(try fresh.save(variant.rawValue, fam))
                #expect(x == y, "\(fam): chains differ: \(Set(x.keys).symmetricDifference(y.keys)); rules differ in \(x.keys.filter { x[$0] != y[$0] }.sorted())")
            }
            for set in ["SWITCHYARD-HAIRPIN-V4", "SWITCHYARD-HAIRPIN-V6"] {
                #expect(try inc.ipsetMembers(set) == fresh.ipsetMembers(set), "\(set)")
            }
        }
    }

    @Test(arguments: IptablesVariant.allCases)
    func rejectedPartialLeavesRulesAndForcesFull(variant: IptablesVariant) async throws {
        try await IptNamespace.with { ns in
            let a = IptablesApplier(variant: variant, netns: ns.name)
            let old = F.state(F.base)
            _ = try await a.applyFull(old)
            let before = try ns.save(variant.rawValue, .ipv4)
            // The diff claims a port the kernel never had: deleting its dispatch rule fails.
            let ghost = F.web(9, [F.ep("10.244.9.1", 80)])
            let error = await #expect(throws: ApplyError.self) {
                try await a.applyIncremental(StateDiff(removed: [ghost]), state: old)
            }
            #expect(error?.operation == "\(variant.tool("restore", family: .ipv4)) --noflush")
            #expect(error?.line != nil, "\(String(describing: error))")
            if let text = error?.lineText { #expect(text.hasPrefix("-D SWITCHYARD-DISPATCH -d 10.96.0.9/32") || text == "COMMIT", "\(text)") }
            #expect(SavedView.ours(try ns.save(variant.rawValue, .ipv4)) == SavedView.ours(before))
            // The next sync is full even for a valid diff.
            var ports = F.base
            ports[0] = F.web(1, [F.ep("10.244.1.1", 8080)])
            let new = F.state(ports)
            let next = try await a.applyIncremental(StateDiff.full(old: old, new: new), state: new)
            #expect(next.full)
            let after = try await a.applyIncremental(StateDiff.full(old: new, new: old), state: old)
            #expect(!after.full)
        }
    }

    @Test func restoreErrorsNameTheInputLine() async throws {
        try await IptNamespace.with { ns in
            let a = IptablesApplier(variant: .nft, netns: ns.name)
            let text = "*nat\n:SWITCHYARD-T - [0:0]\n-A SWITCHYARD-T -m nosuchmatch -j RETURN\nCOMMIT\n"
            let error = await #expect(throws: ApplyError.self) { try await a.restoreTables(text, family: .ipv4) }
            #expect(error?.line == 3)
            #expect(error?.lineText == "-A SWITCHYARD-T -m nosuchmatch -j RETURN")
            let left = try ns.save("nft", .ipv4)
            #expect(!left.contains("SWITCHYARD-T"))
        }
    }

    @Test(arguments: IptablesVariant.allCases)
    func cleanupRemovesOnlyOurs(variant: IptablesVariant) async throws {
        try await IptNamespace.with { ns in
            let foreign = """
                *nat
                :FOREIGN - [0:0]
                -A PREROUTING -p tcp --dport 25 -j FOREIGN
                -A FOREIGN -j RETURN
                -A OUTPUT -m comment --comment "SWITCHYARD-SERVICES lookalike" -j RETURN
                COMMIT
                *filter
                :KEEP - [0:0]
                -A INPUT -j KEEP
                -A KEEP -s 192.0.2.1/32 -j ACCEPT
                COMMIT

                """
            for fam in IPFamily.allCases {
                let text = fam == .ipv4 ? foreign : foreign.replacingOccurrences(of: "192.0.2.1/32", with: "2001:db8::1/128")
                try ns.exec([variant.tool("restore", family: fam), "--noflush"], stdin: text).check()
            }
            try ns.exec(["ipset", "create", "OTHER-SET", "hash:ip"]).check()
            let before = try IPFamily.allCases.map { try ns.save(variant.rawValue, $0) }
            let a = IptablesApplier(variant: variant, netns: ns.name)
            _ = try await a.applyFull(F.state(F.base))
            #expect(try ns.save(variant.rawValue, .ipv4).contains(":SWITCHYARD-"))
            try await a.cleanup()
            let after = try IPFamily.allCases.map { try ns.save(variant.rawValue, $0) }
            #expect(after.map(Self.withoutComments) == before.map(Self.withoutComments))
            for s in after { #expect(!s.contains("SWITCHYARD-SERVICES -") && !s.contains(":SWITCHYARD")) }
            #expect(try ns.ipsetMembers("OTHER-SET") != nil)
            #expect(try ns.ipsetMembers("SWITCHYARD-HAIRPIN-V4") == nil)
            #expect(try ns.ipsetMembers("SWITCHYARD-HAIRPIN-V6") == nil)
            try await a.cleanup()   // idempotent
        }
    }

    /// Save output without `#` comment lines (they carry timestamps).
    static func withoutComments(_ s: String) -> [String] { s.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init) }

    /// Another process holds the xtables lock for ~2 s: `-w` makes the legacy restore wait, then
    /// succeed. (The lock is a file outside any namespace; `XTABLES_LOCKFILE` points this applier at a
    /// private one so the host's `/run/xtables.lock` users are not held up. iptables-nft takes no lock.)
    @Test func syncWaitsForTheXtablesLock() async throws {
        let lock = "/tmp/switchyard-xtables-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).lock"
        FileManager.default.createFile(atPath: lock, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: lock) }
        try await IptNamespace.with { ns in
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
            holder.arguments = [lock, "-c", "echo held; sleep 2"]
            let out = Pipe()
            holder.standardOutput = out
            try holder.run()
            defer { holder.waitUntilExit() }
            _ = out.fileHandleForReading.readChunkRetryingInterrupts()   // "held": the lock is taken
            let a = IptablesApplier(variant: .legacy, netns: ns.name, lockFile: lock)
            let start = ContinuousClock.now
            let r = try await a.applyFull(F.state(F.base))
            let waited = ContinuousClock.now - start
            #expect(r.full)
            #expect(waited > .milliseconds(1200), "the restore did not wait for the lock: \(waited)")
            #expect(try ns.save("legacy", .ipv4).contains(":SWITCHYARD-SERVICES"))
        }
    }
}
