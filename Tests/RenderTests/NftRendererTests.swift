import Diff
import Foundation
import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

/// The incremental scenario used by golden and kernel tests: one endpoint replaced, a service
/// added, one removed, an affinity port rescaled, and an IPv6 port going from reject to forward.
enum NftScenario {
    static var diff: StateDiff {
        let old = NftFixtures.full
        let oldPorts = Dictionary(uniqueKeysWithValues: old.allPorts.map { ($0.key, $0) })
        var web = oldPorts[NftFixtures.key("default", "web", "http")]!
        web.clusterEndpoints = [NftFixtures.ep("10.244.1.6", 8080), web.clusterEndpoints[1]]
        var sticky = oldPorts[NftFixtures.key("shop", "sticky", "http")]!
        sticky.clusterEndpoints = [sticky.clusterEndpoints[1]]
        var dns6 = oldPorts[NftFixtures.key("default", "dns", "dns", .udp, .ipv6)]!
        dns6.clusterEndpoints = [NftFixtures.ep("fd00:10:244:1::53", 53)]
        dns6.internalTraffic = .forward(.cluster); dns6.externalTraffic = .forward(.cluster)
        let added = ServicePort(key: NftFixtures.key("new", "api", "grpc"), clusterIP: NftFixtures.ip("10.96.2.1"), port: 9000,
                                clusterEndpoints: (1...4).map { NftFixtures.ep("10.244.4.\($0)", 9000) },
                                internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
        let removed = oldPorts[NftFixtures.key("shop", "empty", "http")]!
        return StateDiff(added: [added], removed: [removed], changed: [
            PortChange(old: oldPorts[web.key]!, new: web), PortChange(old: oldPorts[sticky.key]!, new: sticky),
            PortChange(old: oldPorts[dns6.key]!, new: dns6),
        ])
    }

    static var newState: ProxyState {
        let d = diff
        var ports = Dictionary(uniqueKeysWithValues: NftFixtures.full.allPorts.map { ($0.key, $0) })
        for r in d.removed { ports[r.key] = nil }
        for a in d.added { ports[a.key] = a }
        for c in d.changed { ports[c.new.key] = c.new }
        return NftFixtures.state(Array(ports.values))
    }
}

@Suite("nftables renderer")
struct NftRendererTests {
    let renderer = NftablesRenderer()

    private func golden(_ name: String, _ text: String) throws {
        let url = NftFixtures.goldenURL(name)
        if ProcessInfo.processInfo.environment["SY_UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "golden \(name) differs; rerun with SY_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test func fullRenderMatchesGolden() throws {
        try golden("full.nft", renderer.renderFull(NftFixtures.full).text)
    }

    @Test func incrementalRenderMatchesGolden() throws {
        try golden("incremental.nft", renderer.renderIncremental(NftScenario.diff, state: NftScenario.newState).text)
    }

    @Test func fullRenderReplacesOnlyOurTables() {
        let text = renderer.renderFull(NftFixtures.full).text
        let lines = text.split(separator: "\n")
        #expect(lines.prefix(2) == ["add table ip switchyard", "delete table ip switchyard"])
        for line in lines {
            let words = line.split(separator: " ")
            #expect(words.count >= 4 && (words[2] == "ip" || words[2] == "ip6") && words[3] == "switchyard", "\(line)")
        }
    }

    @Test func incrementalNeverRewritesTables() {
        let text = renderer.renderIncremental(NftScenario.diff, state: NftScenario.newState).text
        #expect(!text.contains(" table "))
        #expect(!text.contains("flush chain ip switchyard services"))
        // The unchanged ports contribute nothing.
        #expect(!text.contains("10.96.0.53"))
        #expect(!text.contains("203.0.113.6"))
    }

    @Test func oneEndpointChangeIsAFewElements() {
        let d = NftScenario.diff
        let only = StateDiff(changed: [d.changed[0]])
        let out = renderer.renderIncremental(only, state: NftScenario.newState)
        let elementLines = out.text.split(separator: "\n").filter { $0.contains(" element ") }
        // Same endpoint count: only slot 0 replaced; new hairpin added (old IP still used).
        #expect(elementLines.count == 3)
        #expect(out.text.contains("delete element ip switchyard cip_eps_2 { 10.96.0.10 . tcp . 80 . 0 }"))
        #expect(out.text.contains("add element ip switchyard cip_eps_2 { 10.96.0.10 . tcp . 80 . 0 : 10.244.1.6 . 8080 }"))
        #expect(out.text.contains("delete element ip switchyard hairpin { 10.244.1.5 . 10.244.1.5 }") == false,
                "10.244.1.5 is still an endpoint of other ports")
    }

    @Test func jsonDescribesEveryCommand() throws {
        let out = renderer.renderFull(NftFixtures.full)
        let obj = try JSONSerialization.jsonObject(with: Data(out.json.utf8)) as? [String: Any]
        let cmds = try #require(obj?["commands"] as? [[String: Any]])
        #expect(cmds.count == out.transaction.commands.count)
        #expect(cmds.first?["op"] as? String == "add-table")
    }

    @Test func unproxiedFamilyTableIsRemoved() {
        var s = NftFixtures.state(NftFixtures.v4Ports)
        s.config.families = [.ipv4]
        let text = renderer.renderFull(s).text
        #expect(text.contains("delete table ip6 switchyard"))
        #expect(!text.contains("add chain ip6"))
    }
}

@Suite("nftables shared chains on demand")
struct NftLimitTests {
    static let big = ServicePort(key: NftFixtures.key("x", "big"), clusterIP: NftFixtures.ip("10.96.3.1"), port: 80,
                                 clusterEndpoints: (1...3).map { NftFixtures.ep("10.244.6.\($0)", 80) },
                                 internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))

    @Test func newEndpointCountBringsItsMapChainSetAndDispatchRule() {
        let out = NftablesRenderer().renderIncremental(StateDiff(added: [Self.big]), state: NftFixtures.state([Self.big]))
        #expect(!out.needsFullSync)
        let lines = out.text.split(separator: "\n").map(String.init)
        let map = lines.firstIndex { $0.hasPrefix("add map ip switchyard cip_eps_3 { typeof") }
        let chain = lines.firstIndex(of: "add chain ip switchyard cip-3")
        let dnat = lines.firstIndex { $0.hasPrefix("add rule ip switchyard cip-3 dnat ip to") && $0.hasSuffix("map @cip_eps_3") }
        let dispatch = lines.firstIndex(of: "add rule ip switchyard dispatch-addr ip daddr . meta l4proto . th dport @cip_3 goto cip-3")
        let element = lines.firstIndex { $0.hasPrefix("add element ip switchyard cip_3 { 10.96.3.1 . tcp . 80") }
        #expect(map != nil && chain != nil && dnat != nil && dispatch != nil && element != nil, "\(out.text)")
        if let map, let chain, let dnat, let dispatch {
            #expect(map < dnat && chain < dnat && dnat < dispatch, "objects exist before the rules that use them")
        }
        // Only counts in use get chains.
        #expect(!NftablesRenderer().renderFull(NftFixtures.state([Self.big])).text.contains("cip-1"))
    }

    @Test func existingPerCountObjectsAreDroppedFromTheDelta() {
        let out = NftablesRenderer().renderIncremental(StateDiff(added: [Self.big]), state: NftFixtures.state([Self.big]))
        let pruned = out.transaction.droppingExisting(sets: { f, s in f == .ip && (s == "cip_3" || s == "cip_eps_3") },
                                                      chains: { f, c in f == .ip && c == "cip-3" })
        #expect(pruned.commands.allSatisfy { c in
            switch c {
            case .addElements, .deleteElements: return true
            default: return false
            }
        }, "only elements remain: \(pruned.text)")
        #expect(pruned.text.contains("add element ip switchyard cip_3 { 10.96.3.1 . tcp . 80"))
        let none = out.transaction.droppingExisting(sets: { _, _ in false }, chains: { _, _ in false })
        #expect(none == out.transaction)
    }
}
