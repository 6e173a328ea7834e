import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

/// The shared affinity slot sets: an endpoint keeps its slot while it exists, no slot stands for
/// two endpoints of one port, and the rules use the slot (or own) set of each endpoint.
@Suite("nftables affinity slots")
struct NftAffinitySlotsTests {
    typealias F = NftFixtures
    let key = F.key("shop", "sticky", "http")

    func port(_ eps: [Endpoint]) -> ServicePort {
        ServicePort(key: key, clusterIP: F.ip("10.96.1.6"), port: 80, nodePort: 30083, affinityTimeout: 600,
                    clusterEndpoints: eps, internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
    }

    /// `n` endpoints 10.244.x.y:8080.
    func endpoints(_ n: Int) -> [Endpoint] { (0..<n).map { F.ep("10.244.\($0 / 250).\($0 % 250 + 1)", 8080) } }

    @Test func collidingEndpointsGetOwnSetsOthersKeepTheirSlots() {
        // Enough endpoints that some share a hash slot.
        let eps = endpoints(40)
        let slots = NftAffinitySlots(port(eps))
        let bySlot = Dictionary(grouping: eps) { NftAffinitySlots.hashSlot(key, $0) }
        #expect(bySlot.values.contains { $0.count > 1 }, "fixture should produce a collision")
        for ep in eps {
            let alone = bySlot[NftAffinitySlots.hashSlot(key, ep)]!.count == 1
            #expect((slots.slot(of: ep) != nil) == alone)
            if let s = slots.slot(of: ep) { #expect(s == NftAffinitySlots.hashSlot(key, ep)) }
        }
        // Removing an endpoint that collides with nobody changes no other endpoint's slot.
        let loner = eps.first { slots.slot(of: $0) != nil }!
        let after = NftAffinitySlots(port(eps.filter { $0 != loner }))
        for ep in eps where ep != loner { #expect(after.slot(of: ep) == slots.slot(of: ep)) }
    }

    @Test func rulesUseSharedSetsWithPerElementTimeout() {
        let eps = endpoints(3)
        let o = NftPortObjects(port(eps), family: .ip, clusterMasquerade: .all, nodeAddresses: [])
        let slots = NftAffinitySlots(port(eps))
        let rules = o.affinityChains.values.flatMap { $0 }.map(\.text)
        for ep in eps {
            let set: String
            if let s = slots.slot(of: ep) { set = NftNames.affinitySlotSet(s, nodePort: false) } else { set = NftNames.affinitySet(key, ep) }
            #expect(rules.contains { $0.contains("@\(set) ") && $0.hasSuffix("dnat ip to \(ep.ip):8080") })
            if slots.slot(of: ep) != nil {
                #expect(rules.contains { $0.contains("update @\(set) { ip saddr . ip daddr . meta l4proto . th dport timeout 600s }") })
                #expect(o.affinitySets[set]?.timeoutSeconds == nil)
            }
        }
        // Both the ClusterIP and the NodePort path: address-keyed and NodePort-keyed sets.
        #expect(o.affinitySets.keys.contains { $0.hasPrefix("aff_np_") } || o.affinitySets.keys.contains { $0.hasPrefix("aff-") })
    }
}
