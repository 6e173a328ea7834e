import Diff
import Model
import SwitchyardCore
import Testing
@testable import RenderIptables

/// The hairpin ipset is shared: services share endpoints. A partial render deletes a member only
/// when no port of the new state DNATs to it — through counts the renderer follows from diff to
/// diff (`HairpinUses`), or derived again when the diff does not start from what it last rendered.
@Suite struct IptHairpinUsesTests {
    /// Random edits of services whose endpoints come from a small shared pool: after every partial
    /// render, applied to what the earlier renders left (a delete of an absent member fails), the
    /// set holds exactly the members of the state's ports.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func hairpinSetFollowsPartialRendersExactly(seed: UInt64) throws {
        var rng = IptRandom(seed: seed)
        let renderer = IptablesRenderer()
        var services: [Int: [ServicePort]] = [:]
        for i in 0..<8 where rng.chance(0.7) { services[i] = NftSharedAddressTests.ports(i, &rng) }
        var prev = NftFixtures.state(services.values.flatMap { $0 })
        _ = renderer.renderFull(prev)
        var held = Self.members(prev)
        var deletions = 0
        for _ in 0..<30 {
            for _ in 0..<(1 + Int(rng.next() % 2)) {
                let i = Int(rng.next() % 8)
                if services[i] != nil, rng.chance(0.4) { services[i] = nil } else { services[i] = NftSharedAddressTests.ports(i, &rng) }
            }
            let next = NftFixtures.state(services.values.flatMap { $0 })
            let out = renderer.renderIncremental(IPVSFixtures.diff(prev, next), state: next)
            try #require(!out.isFull)
            for f in out.families {
                for line in f.ipsetRestore.split(separator: "\n") {
                    let t = line.split(separator: " ")
                    try #require(t.count == 4 && t[3] == "-exist", "\(line)")
                    if t[0] == "del" {
                        try #require(held.remove(String(t[2])) != nil, "deleted \(t[2]), absent")
                        deletions += 1
                    } else {
                        held.insert(String(t[2]))
                    }
                }
            }
            #expect(held == Self.members(next))
            prev = next
        }
        #expect(deletions > 0)
    }

    /// The counts followed through diffs equal the counts of the final state.
    @Test func followedCountsEqualDerivedOnes() {
        var rng = IptRandom(seed: 23)
        var prev = NftFixtures.state((0..<8).flatMap { NftSharedAddressTests.ports($0, &rng) })
        var uses = HairpinUses(prev)
        for round in 0..<10 {
            let next = NftFixtures.state((0..<8).filter { ($0 + round) % 3 != 0 }.flatMap { NftSharedAddressTests.ports($0, &rng) })
            uses.apply(IPVSFixtures.diff(prev, next))
            #expect(uses == HairpinUses(next))
            prev = next
        }
    }

    /// Every port's hairpin members, as `ipset` text.
    static func members(_ state: ProxyState) -> Set<String> {
        Set(state.allPorts.flatMap { PortRules.hairpinMembers($0).map(\.text) })
    }
}
