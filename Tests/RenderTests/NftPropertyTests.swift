import Diff
import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

/// A port whose names contain quotes, newlines and nft syntax, built directly (bypassing validation).
enum NftHostile {
    static var port: ServicePort {
        let key = ServicePortKey(service: ServiceName(namespace: "x\" ; flush ruleset ; \"", name: "a\nadd table ip evil"),
                                 portName: "p}\"\n", proto: .tcp, family: .ipv4)
        return ServicePort(key: key, clusterIP: NftFixtures.ip("10.96.5.5"), port: 80,
                           clusterEndpoints: [NftFixtures.ep("10.244.5.5", 80)],
                           internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
    }
    static var state: ProxyState { NftFixtures.state([port]) }
}

@Suite("nftables element keys and hostile input")
struct NftPropertyTests {
    let renderer = NftablesRenderer()

    @Test func renderIsDeterministic() {
        let a = renderer.renderFull(NftFixtures.full).text
        // Rebuild the state in a different insertion order.
        let b = renderer.renderFull(NftFixtures.state((NftFixtures.v4Ports + NftFixtures.v6Ports).reversed())).text
        #expect(a == b)
    }

    @Test func endpointSlotsDoNotOverlapAcrossPorts() {
        // Every port's endpoint slots are (frontend . index) with index in 0..<N: unique per frontend.
        var seen = Set<[String]>()
        for p in NftFixtures.full.allPorts {
            let o = NftPortObjects(p, family: NftFamily(p.key.family), clusterMasquerade: .none, nodeAddresses: [])
            for (map, els) in o.elements {
                guard let shared = NftSharedChain(endpointMap: map) else { continue }
                for e in els {
                    #expect(seen.insert([map] + e.keyComponents).inserted, "slot \(e.keyComponents) used twice")
                    guard case .slot(_, let index) = e.key else { Issue.record("not a slot: \(e.text)"); continue }
                    #expect(index < shared.count)
                }
            }
        }
        #expect(!seen.isEmpty)
    }

    @Test func slotsAreReusedWhenEndpointsChange() {
        // Growing N moves the frontend's slots to the N+1 map (and its frontend to the N+1 set).
        let old = NftFixtures.v4Ports[0]
        var grown = old
        grown.clusterEndpoints.append(NftFixtures.ep("10.244.9.9", 8080))
        let out = renderer.renderIncremental(StateDiff(changed: [PortChange(old: old, new: grown)]), state: NftFixtures.state([grown]))
        #expect(out.text.contains("delete element ip switchyard cip_eps_2 { 10.96.0.10 . tcp . 80 . 0, 10.96.0.10 . tcp . 80 . 1 }"))
        #expect(out.text.contains("add element ip switchyard cip_eps_3 { 10.96.0.10 . tcp . 80 . 0 : "))
        #expect(out.text.contains("10.96.0.10 . tcp . 80 . 2 : 10.244.9.9 . 8080 }"))
        // The frontend moves from the 2-endpoint set to the 3-endpoint set (plain elements, no verdicts).
        #expect(out.text.contains("delete element ip switchyard cip_2 { 10.96.0.10 . tcp . 80 }"))
        #expect(out.text.contains("add element ip switchyard cip_3 { 10.96.0.10 . tcp . 80"))
        #expect(out.text.contains("@cip_3 goto cip-3"))
        #expect(!out.text.contains(": goto"))
        // Shrinking deletes the top slot.
        let back = renderer.renderIncremental(StateDiff(changed: [PortChange(old: grown, new: old)]), state: NftFixtures.state([old]))
        #expect(back.text.contains("delete element ip switchyard cip_eps_3 { 10.96.0.10 . tcp . 80 . 0, 10.96.0.10 . tcp . 80 . 1, 10.96.0.10 . tcp . 80 . 2 }"))
        #expect(back.text.contains("add element ip switchyard cip_eps_2 { 10.96.0.10 . tcp . 80 . 0 : "))
    }

    @Test func hostileNamesDoNotReachTheRuleset() {
        let text = renderer.renderFull(NftHostile.state).text
        #expect(!text.contains("evil"))
        #expect(!text.contains("flush ruleset"))
        #expect(!text.contains("comment"))
        // Same shape as a benign port with the same values.
        var benign = NftHostile.port
        benign.key = NftFixtures.key("ns", "name", "p")
        let reference = renderer.renderFull(NftFixtures.state([benign])).text
            .replacingOccurrences(of: " comment \"ns/name:p\"", with: "")
        #expect(text == reference)
    }

    @Test func commentsOnlyFromCleanNames() {
        #expect(NftNames.comment(NftFixtures.key("default", "web", "http")) == "default/web:http")
        #expect(NftNames.comment(NftHostile.port.key) == nil)
    }
}
