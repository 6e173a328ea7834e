import Diff
import Foundation
import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

/// Applies rendered scripts with the real `nft` inside throwaway namespaces (skips unless root).
@Suite("nftables renderer against nft", .serialized, .enabled(if: NftNamespace.available))
struct NftKernelTests {
    let renderer = NftablesRenderer()

    @Test func fullAndIncrementalPassCheckMode() throws {
        try NftNamespace.with { ns in
            let full = try ns.nft(script: renderer.renderFull(NftFixtures.full).text, check: true)
            #expect(full.0 == 0, "\(full.1)")
        }
    }

    @Test func fullThenIncrementalApplyForReal() throws {
        try NftNamespace.with { ns in
            let full = try ns.nft(script: renderer.renderFull(NftFixtures.full).text)
            try #require(full.0 == 0, "\(full.1)")
            // As the applier sends it: without the per-count objects the full load created
            // (nft 1.0.6 cannot re-add a rule that uses an existing endpoint map).
            var sets = Set<String>(), chains = Set<String>()
            for c in renderer.renderFull(NftFixtures.full).transaction.commands {
                if case .addSet(let f, let s, _) = c { sets.insert("\(f) \(s.name)") }
                if case .addChain(let f, let ch) = c { chains.insert("\(f) \(ch.name)") }
            }
            let delta = renderer.renderIncremental(NftScenario.diff, state: NftScenario.newState).transaction
                .droppingExisting(sets: { sets.contains("\($0) \($1)") }, chains: { chains.contains("\($0) \($1)") })
            let inc = try ns.nft(script: delta.text)
            try #require(inc.0 == 0, "\(inc.1)")
            #expect(try ns.nft("list", "map", "ip", "switchyard", "cip_eps_2").contains("10.244.1.6 . 8080"))
            #expect(try ns.nft("list", "map", "ip", "switchyard", "cip_eps_4").contains("10.96.2.1 . tcp . 9000 . 3"))
            let cips = try ns.nft("list", "set", "ip", "switchyard", "cluster_ips")
            #expect(!cips.contains("10.96.1.4"))
            // The same incremental again fails on deletes of absent elements: deltas are exact, not blind.
            let applied = try ns.nft("list", "ruleset")
            // A full render of the new state must describe exactly what incremental produced (same elements).
            try NftNamespace.with { fresh in
                let r = try fresh.nft(script: renderer.renderFull(NftScenario.newState).text)
                try #require(r.0 == 0, "\(r.1)")
                let countSets = renderer.renderFull(NftScenario.newState).transaction.commands.compactMap { c -> String? in
                    if case .addSet(.ip, let s, _) = c, NftSharedChain(frontendSet: s.name) != nil || NftSharedChain(endpointMap: s.name) != nil
                        || NftAffinityChain(frontendSet: s.name) != nil || NftAffinityChain.positionMap(parsing: s.name) != nil {
                        return s.name
                    }
                    return nil
                }
                #expect(countSets.contains { NftAffinityChain.positionMap(parsing: $0) != nil })
                for name in ["cluster_ips", "hairpin", "reject_addr"] + countSets {
                    let kind = NftSharedChain(endpointMap: name) != nil || NftAffinityChain.positionMap(parsing: name) != nil ? "map" : "set"
                    let a = try elements(ns.nft("list", kind, "ip", "switchyard", name))
                    let b = try elements(fresh.nft("list", kind, "ip", "switchyard", name))
                    #expect(a == b, "\(name) differs between incremental and full")
                }
            }
            #expect(applied.contains("table ip6 switchyard"))
        }
    }

    @Test func fullRenderReplacesExistingTableAndLeavesOthers() throws {
        try NftNamespace.with { ns in
            let other = try ns.nft(script: "add table ip other\nadd chain ip other keep\n")
            try #require(other.0 == 0, "\(other.1)")
            let first = try ns.nft(script: renderer.renderFull(NftFixtures.full).text)
            try #require(first.0 == 0, "\(first.1)")
            let stray = try ns.nft(script: "add chain ip switchyard stray\nadd element ip switchyard cluster_ips { 10.96.9.9 }\n")
            try #require(stray.0 == 0, "\(stray.1)")
            let second = try ns.nft(script: renderer.renderFull(NftScenario.newState).text)
            try #require(second.0 == 0, "\(second.1)")
            let ruleset = try ns.nft("list", "ruleset")
            #expect(!ruleset.contains("stray"))
            #expect(!ruleset.contains("10.96.9.9"))
            #expect(!ruleset.contains("10.96.1.4"))
            #expect(ruleset.contains("10.96.2.1"))
            #expect(ruleset.contains("chain keep"))
        }
    }

    @Test func hostileNamesLoad() throws {
        try NftNamespace.with { ns in
            let r = try ns.nft(script: renderer.renderFull(NftHostile.state).text)
            #expect(r.0 == 0, "\(r.1)")
        }
    }

    /// Element lines of a listed set/map, normalised to a sorted list of entries.
    private func elements(_ listing: String) -> [String] {
        guard let start = listing.range(of: "elements = {") else { return [] }
        let body = listing[start.upperBound...].prefix { $0 != "}" }
        return body.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.sorted()
    }
}
