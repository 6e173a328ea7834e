import Apply
import Diff
import Model
import RenderNftables
import Testing
@testable import ApplyNftables

/// An endpoint count that appears, empties and appears again through incremental syncs (the bench's
/// readiness flips do this): the per-count objects left behind by the first delta must be reused,
/// not re-added.
@Suite("nftables per-count objects across incremental syncs", .serialized, .enabled(if: TestNamespace.available))
struct NftCountClassTests {
    typealias F = ApplyFixtures

    @Test func countThatComesBackIsReused() async throws {
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            var ports = F.base
            let a = F.state(ports)
            _ = try await applier.applyFull(a)
            // web-1 goes to 5 endpoints (a count no other service has), back, and to 5 again.
            let five = (1...5).map { F.ep("10.244.1.\($0 + 10)", 8080) }
            ports[0] = F.web(1, five)
            let b = F.state(ports)
            var state = a
            for next in [b, a, b, a, b] {
                _ = try await applier.applyIncremental(StateDiff.full(old: state, new: next), state: next)
                state = next
            }
            let v4 = try ns.nft("list", "table", "ip", "switchyard").check().out
            #expect(v4.contains("10.96.0.1 . tcp . 80 . 4 : 10.244.1.15 . 8080"))
        }
    }

    /// A count first seen on the ClusterIP path and later on the external path (an externalIP service
    /// with as many endpoints as an existing ClusterIP one): the external path's chain needs its own map
    /// — nft 1.0.6 refuses a rule using an endpoint map created by an earlier transaction.
    @Test func secondPathWithAnExistingCountGetsItsOwnMap() async throws {
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(netns: ns.name)
            let a = F.state(F.base)
            _ = try await applier.applyFull(a)
            var external = F.web(5, [F.ep("10.244.5.1", 8080), F.ep("10.244.5.2", 8080)])
            external.externalIPs = [F.ip("203.0.113.5")]
            let b = F.state(F.base + [external])
            let report = try await applier.applyIncremental(StateDiff.full(old: a, new: b), state: b)
            #expect(!report.full)
            let v4 = try ns.nft("list", "table", "ip", "switchyard").check().out
            #expect(v4.contains("203.0.113.5 . tcp . 80 . 1 : 10.244.5.2 . 8080"))
            #expect(v4.contains("10.96.0.1 . tcp . 80 . 1 : 10.244.1.2 . 8080"))
        }
    }
}
