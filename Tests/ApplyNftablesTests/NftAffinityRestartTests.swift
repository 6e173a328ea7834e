import Diff
import Model
@testable import RenderNftables
import SwitchyardCore
import Testing
@testable import ApplyNftables

/// ClientIP-affinity endpoint positions across a restart: a new applier (fresh renderer) over a
/// table an earlier one loaded reads the positions back and keeps them.
@Suite("nftables affinity positions across a restart", .serialized, .enabled(if: TestNamespace.available))
struct NftAffinityRestartTests {
    typealias F = ApplyFixtures

    static func sticky(_ eps: [Endpoint]) -> ServicePort {
        ServicePort(key: F.key("sticky-30", .ipv4, .tcp), clusterIP: F.ip("10.96.0.30"), port: 80, nodePort: 30030,
                    affinityTimeout: 300, clusterEndpoints: eps, internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
    }

    @Test func aRestartedApplierKeepsThePositions() async throws {
        let eps = (1...4).map { F.ep("10.244.5.\($0)", 8080) }
        let old = F.state(F.base + [Self.sticky(eps)])
        // The first endpoint leaves: the last one takes its position (not sorted order).
        let new = F.state(F.base + [Self.sticky(Array(eps.dropFirst()))])
        try await TestNamespace.with { ns in
            let first = NftablesApplier(netns: ns.name)
            _ = try await first.applyFull(old)
            _ = try await first.applyIncremental(StateDiff.full(old: old, new: new), state: new)
            let maps = try Self.positionMaps(ns)
            #expect(maps.contains("cipaff_eps_0: elements = { 10.96.0.30 . tcp . 80 : 10.244.5.4 . 8080 }"), "\(maps)")
            let kernel = try NftNetlink(netns: ns.name).affinityPositions(family: .ip, table: "switchyard")
            #expect(kernel[NftPositionKey(path: .cip, frontend: NftFrontend(address: F.ip("10.96.0.30"), proto: .tcp, port: 80))]?[0]
                    == NftPositionEndpoint(ip: F.ip("10.244.5.4"), port: 8080))
            let restarted = NftablesApplier(netns: ns.name)
            _ = try await restarted.applyFull(new)
            let after = try Self.positionMaps(ns)
            #expect(after == maps, "a restart keeps every position: \(after)")
            // Without the kernel's positions a fresh renderer would have used sorted order.
            #expect(!NftablesRenderer().renderFull(new).text.contains("cipaff_eps_0 { 10.96.0.30 . tcp . 80 : 10.244.5.4 . 8080"))
        }
    }

    /// Recent clients the kernel recorded are not drift: a full sync keeps them and reports none.
    @Test func recentClientsAreNotDrift() async throws {
        let state = F.state(F.base + [Self.sticky((1...3).map { F.ep("10.244.5.\($0)", 8080) })])
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            _ = try await applier.applyFull(state)
            try ns.nft(script: "add element ip switchyard aff_addr_0 { 203.0.113.10 . 10.96.0.30 . tcp . 80 timeout 300s }\n").check()
            let again = try await applier.applyFull(state)
            #expect(again.driftRepaired == 0)
            #expect(try ns.nft("list", "set", "ip", "switchyard", "aff_addr_0").check().out.contains("203.0.113.10 . 10.96.0.30 . tcp . 80"),
                    "a full sync keeps the recent clients")
        }
    }

    /// The element lines of the IPv4 table's affinity position maps, each prefixed with its map
    /// (an emptied map a delta left behind, which a full sync deletes, lists none).
    static func positionMaps(_ ns: TestNamespace) throws -> [String] {
        var out: [String] = [], map: String?
        for line in try ns.nft("list", "table", "ip", "switchyard").check().out.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("map ") || t.hasPrefix("set ") || t.hasPrefix("chain ") {
                map = t.hasPrefix("map ") && t.contains("aff_eps_") ? String(t.split(separator: " ")[1]) : nil
            }
            if let map, t.hasPrefix("elements") { out.append("\(map): \(t)") }
        }
        return out
    }
}
