import Diff
import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

/// ClientIP affinity in the nftables shape: stable endpoint positions (`NftAffinityMemo`) and
/// endpoint changes as element deltas only (`NftAffinityChain`).
@Suite("nftables ClientIP affinity")
struct NftAffinityTests {
    static func eps(_ last: ClosedRange<Int>) -> [Endpoint] { last.map { NftFixtures.ep("10.244.7.\($0)", 80) } }

    static func port(_ name: String, vip: String, _ endpoints: [Endpoint], timeout: UInt32 = 10800) -> ServicePort {
        ServicePort(key: NftFixtures.key("aff", name), clusterIP: NftFixtures.ip(vip), port: 80, affinityTimeout: timeout,
                    clusterEndpoints: endpoints, internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
    }

    @Test func positionsAreSortedWithoutHistory() {
        let e = Self.eps(1...4)
        #expect([Endpoint].affinityPositions(following: nil, current: e.reversed() + [e[0]]) == e)
    }

    @Test func survivorsKeepTheirPositions() {
        let e = Self.eps(1...5)
        let before = [e[2], e[0], e[4], e[1]]
        // A new endpoint takes the next position; nobody moves.
        #expect([Endpoint].affinityPositions(following: before, current: before + [e[3]]) == before + [e[3]])
        // A new endpoint fills a removed one's position; nobody moves.
        #expect([Endpoint].affinityPositions(following: before, current: [e[2], e[3], e[4], e[1]]) == [e[2], e[3], e[4], e[1]])
        // Unchanged: the same positions.
        #expect([Endpoint].affinityPositions(following: before, current: before.shuffled()) == before)
    }

    @Test func removalSwapsTheLastEndpointIn() {
        let e = Self.eps(1...5)
        let before = [e[0], e[1], e[2], e[3], e[4]]
        // e[1] leaves: the last endpoint (e[4]) moves to position 1; the rest stay.
        #expect([Endpoint].affinityPositions(following: before, current: [e[0], e[2], e[3], e[4]]) == [e[0], e[4], e[2], e[3]])
        // e[0] and e[4] (the last) leave: e[3] moves to position 0.
        #expect([Endpoint].affinityPositions(following: before, current: [e[1], e[2], e[3]]) == [e[3], e[1], e[2]])
        // Every position stays dense and every endpoint appears once.
        let after = [Endpoint].affinityPositions(following: before, current: [e[2]])
        #expect(after == [e[2]])
    }

    /// The endpoint of `vip` at each position, as the render's position-map elements say.
    static func positions(_ text: String, vip: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("add element ip switchyard cipaff_eps_") {
            let map = line.split(separator: " ")[4]
            for el in line.split(separator: "{")[1].split(separator: ",") where el.contains("\(vip) . tcp . 80 ") {
                out[String(map)] = el.split(separator: ":").last!.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " }", with: "")
            }
        }
        return out
    }

    @Test func fullRenderAfterIncrementalKeepsPositions() {
        let r = NftablesRenderer()
        let e = Self.eps(1...4)
        let old = Self.port("a", vip: "10.96.7.1", e)
        _ = r.renderFull(NftFixtures.state([old]))
        // e[0] leaves: e[3] takes position 0.
        let new = Self.port("a", vip: "10.96.7.1", Array(e.dropFirst()))
        _ = r.renderIncremental(StateDiff(changed: [PortChange(old: old, new: new)]), state: NftFixtures.state([new]))
        let full = r.renderFull(NftFixtures.state([new])).text
        #expect(Self.positions(full, vip: "10.96.7.1") == ["cipaff_eps_0": "10.244.7.4 . 80", "cipaff_eps_1": "10.244.7.2 . 80",
                                                           "cipaff_eps_2": "10.244.7.3 . 80"])
        // A fresh renderer (restart, dry-run) starts from sorted order.
        #expect(Self.positions(NftablesRenderer().renderFull(NftFixtures.state([new])).text, vip: "10.96.7.1")["cipaff_eps_0"] == "10.244.7.2 . 80")
        // The full render replaced the memo: a removed port is forgotten.
        _ = r.renderFull(NftFixtures.state([]))
        #expect(Self.positions(r.renderFull(NftFixtures.state([new])).text, vip: "10.96.7.1")["cipaff_eps_0"] == "10.244.7.2 . 80")
    }

    @Test func chainHasTheRecentAndPickRulesWithTimeoutRefresh() {
        let text = NftablesRenderer().renderFull(NftFixtures.state([Self.port("a", vip: "10.96.7.1", Self.eps(1...3), timeout: 600)])).text
        let rules = text.split(separator: "\n").filter { $0.hasPrefix("add rule ip switchyard cipaff-3-600 ") }
            .map { String($0.dropFirst("add rule ip switchyard cipaff-3-600 ".count)) }
        let key = "ip saddr . ip daddr . meta l4proto . th dport"
        func tail(_ k: Int) -> String { "update @aff_addr_\(k) { \(key) timeout 600s } dnat ip to ip daddr . meta l4proto . th dport map @cipaff_eps_\(k)" }
        // ClusterIP with the fixture's cluster CIDR: mark first, 3 recent rules (refreshing), 3 picks.
        #expect(rules.count == 7)
        #expect(Array(rules.dropFirst()) == (0..<3).map { "\(key) @aff_addr_\($0) \(tail($0))" }
                + ["numgen random mod 3 0 \(tail(0))", "numgen random mod 2 0 \(tail(1))", tail(2)])
        #expect(text.contains("add rule ip switchyard dispatch-addr ip daddr . meta l4proto . th dport @cipaff_3_600 goto cipaff-3-600"))
        #expect(!text.contains("vmap") && !text.contains("goto aff-") && !text.contains(": goto"))
    }

    /// Once the (path, count, timeout) chains exist, an endpoint added, removed or replaced on an
    /// affinity port renders only element commands: no rule, chain, set or verdict element.
    @Test func endpointChangesAreElementsOnly() {
        let e = Self.eps(1...6)
        // Existing chains: counts 2, 3 and 4 with timeout 10800.
        let base = [Self.port("a", vip: "10.96.7.1", Array(e[0..<3])), Self.port("b", vip: "10.96.7.2", Array(e[0..<4])),
                    Self.port("c", vip: "10.96.7.3", Array(e[0..<2]))]
        let r = NftablesRenderer()
        let full = r.renderFull(NftFixtures.state(base)).transaction
        var sets = Set<String>(), chains = Set<String>()
        for c in full.commands {
            if case .addSet(_, let s, _) = c { sets.insert(s.name) }
            if case .addChain(_, let ch) = c { chains.insert(ch.name) }
        }
        var current = base[0]
        for next in [Array(e[0..<4]), Array(e[1..<4]), [e[1], e[5], e[3]], [e[5], e[3]]] {
            let new = Self.port("a", vip: "10.96.7.1", next)
            var ports = base; ports[0] = new
            let out = r.renderIncremental(StateDiff(changed: [PortChange(old: current, new: new)]), state: NftFixtures.state(ports))
            let pruned = out.transaction.droppingExisting(sets: { _, s in sets.contains(s) }, chains: { _, c in chains.contains(c) })
            #expect(!pruned.commands.isEmpty)
            for c in pruned.commands {
                switch c {
                case .addElements(_, _, let els), .deleteElements(_, _, let els):
                    #expect(els.allSatisfy { if case .goto = $0.data { return false }; return true })
                default: Issue.record("not an element command: \(c) for \(next)")
                }
            }
            current = new
        }
    }

    @Test func aNewCountBringsItsChainSetsAndDispatchRule() {
        let p = Self.port("a", vip: "10.96.7.1", Self.eps(1...5))
        let out = NftablesRenderer().renderIncremental(StateDiff(added: [p]), state: NftFixtures.state([p]))
        let lines = out.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("add chain ip switchyard cipaff-5-10800"))
        #expect(lines.contains { $0.hasPrefix("add set ip switchyard aff_addr_4 {") })
        #expect(lines.contains { $0.hasPrefix("add map ip switchyard cipaff_eps_4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service") })
        #expect(lines.contains("add rule ip switchyard dispatch-addr ip daddr . meta l4proto . th dport @cipaff_5_10800 goto cipaff-5-10800"))
    }

    @Test func namesParse() {
        let c = NftAffinityChain(path: .npscnode, count: 12, timeout: 86400)
        #expect(NftAffinityChain(chain: c.name) == c && NftAffinityChain(frontendSet: c.setName) == c)
        #expect(NftAffinityChain(chain: "cip-3") == nil && NftSharedChain(chain: c.name) == nil && NftSharedChain(frontendSet: c.setName) == nil)
        #expect(NftAffinityChain(chain: "cipaff-03-10") == nil && NftAffinityChain(chain: "cipaff-0-10") == nil)
        #expect(NftAffinityChain.positionMap(parsing: "npextaff_eps_7")! == (.npext, 7))
        #expect(NftAffinityChain.recentSet(parsing: "aff_np_3")! == (true, 3))
        #expect(NftAffinityChain.recentSet(parsing: "aff_np_03") == nil && NftSharedChain(endpointMap: "cipaff_eps_1") == nil)
    }
}
