import Diff
import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

private typealias F = NftFixtures

/// The `cluster_ips` and `hairpin` sets are shared: two ports of a service share a cluster IP and
/// services share endpoint addresses. An incremental render deletes such an element only when no
/// port of the new state uses it — through counts the renderer follows from diff to diff
/// (`NftSharedAddresses`), or counted again when the diff does not start from what it last rendered.
@Suite struct NftSharedAddressTests {
    /// Random edits of services whose ports share cluster IPs and whose endpoints come from a small
    /// pool: after every incremental render, applied to what the earlier renders left (a delete of
    /// an absent element fails), the shared sets hold exactly what a full render of the state holds.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func sharedSetsFollowIncrementalRendersExactly(seed: UInt64) throws {
        var rng = IptRandom(seed: seed)
        let renderer = NftablesRenderer()
        var services: [Int: [ServicePort]] = [:]
        for i in 0..<8 where rng.chance(0.7) { services[i] = Self.ports(i, &rng) }
        var prev = F.state(services.values.flatMap { $0 })
        var held = try Self.apply(renderer.renderFull(prev).transaction, to: [:])
        var removals = 0
        for _ in 0..<30 {
            // One or two services added, removed or given new endpoints.
            for _ in 0..<(1 + Int(rng.next() % 2)) {
                let i = Int(rng.next() % 8)
                if services[i] != nil, rng.chance(0.4) { services[i] = nil; removals += 1 } else { services[i] = Self.ports(i, &rng) }
            }
            let next = F.state(services.values.flatMap { $0 })
            held = try Self.apply(renderer.renderIncremental(IPVSFixtures.diff(prev, next), state: next).transaction, to: held)
            #expect(held == (try Self.apply(NftablesRenderer().renderFull(next).transaction, to: [:])))
            prev = next
        }
        #expect(removals > 0)
    }

    /// A diff that does not start from the state the renderer last rendered: the counts are not
    /// followed but taken from the new state, so the output is a fresh renderer's.
    @Test func aDiffFromAnotherStateIsCountedAgain() throws {
        var rng = IptRandom(seed: 9)
        let a = F.state((0..<6).flatMap { Self.ports($0, &rng) })
        let b = F.state((0..<6).flatMap { Self.ports($0, &rng) })
        let c = F.state((0..<4).flatMap { Self.ports($0, &rng) })
        let renderer = NftablesRenderer()
        _ = renderer.renderFull(a)
        _ = renderer.renderIncremental(IPVSFixtures.diff(a, b), state: b)
        let d = IPVSFixtures.diff(a, c) // from a, not from b
        #expect(renderer.renderIncremental(d, state: c) == NftablesRenderer().renderIncremental(d, state: c))
    }

    /// The counts followed through diffs equal the counts of the final state.
    @Test func followedCountsEqualRecountedOnes() {
        var rng = IptRandom(seed: 17)
        var prev = F.state((0..<8).flatMap { Self.ports($0, &rng) })
        var uses = NftSharedAddresses(prev)
        for round in 0..<10 {
            let next = F.state((0..<8).filter { ($0 + round) % 3 != 0 }.flatMap { Self.ports($0, &rng) })
            uses.apply(IPVSFixtures.diff(prev, next))
            #expect(uses == NftSharedAddresses(next))
            prev = next
        }
    }

    /// One or two ports of service `i` (sharing its cluster IP), with endpoints from a pool of six
    /// addresses that every service draws from.
    static func ports(_ i: Int, _ rng: inout IptRandom) -> [ServicePort] {
        let names = rng.chance(0.5) ? ["a"] : ["a", "b"]
        return names.enumerated().map { k, name in
            var eps: [Endpoint] = []
            for j in 1...6 where rng.chance(0.35) { eps.append(F.ep("10.244.0.\(j)", 8080 + UInt16(k), local: rng.chance(0.5))) }
            let decision: TrafficDecision = eps.isEmpty ? .reject : .forward(.cluster)
            return ServicePort(key: F.key("ns", "svc-\(i)", name), clusterIP: F.ip("10.96.0.\(i + 1)"), port: 80 + UInt16(k),
                               clusterEndpoints: eps, localEndpoints: eps.filter(\.isLocal),
                               internalTraffic: decision, externalTraffic: decision)
        }
    }

    /// The shared sets' elements after `t` (element commands only), failing on a delete of an
    /// element the sets do not hold, as the kernel does.
    static func apply(_ t: NftTransaction, to held: [String: Set<NftElement>]) throws -> [String: Set<NftElement>] {
        var out = held
        for c in t.commands {
            switch c {
            case .addElements(let f, let set, let els) where [NftNames.clusterIPs, NftNames.hairpin].contains(set):
                out["\(f) \(set)", default: []].formUnion(els)
            case .deleteElements(let f, let set, let els) where [NftNames.clusterIPs, NftNames.hairpin].contains(set):
                for e in els { try #require(out["\(f) \(set)"]?.remove(e) != nil, "deleted \(e) absent from \(set)") }
            default: continue
            }
        }
        return out.filter { !$0.value.isEmpty }
    }
}
