import Testing
@testable import Bench

struct BenchProgressBarTests {
    @Test func stepsMoveWithinARowAndDoneCompletesIt() {
        let bar = BenchProgressBar(rows: 2)
        #expect(bar.fraction == 0)
        let first = bar.advance("[nftables 1000×10] cold sync")
        #expect(first.hasPrefix("[#") && first.hasSuffix("% [nftables 1000×10] cold sync"), "\(first)")
        #expect(bar.fraction > 0 && bar.fraction < 0.5)
        for _ in 0..<30 { _ = bar.advance("[nftables 1000×10] incremental endpointChange ×20") }
        #expect(bar.fraction < 0.5, "steps never complete a row on their own")
        _ = bar.advance("[nftables 1000×10] done")
        #expect(bar.fraction == 0.5)
        _ = bar.advance("[iptables 1000] failed: floor: boom")
        #expect(bar.fraction == 1)
        #expect(bar.advance("wrote results").hasPrefix("[" + String(repeating: "#", count: 24) + "] 100% "))
    }

    @Test func guestLinesWithTheirOwnBarCountToo() {
        let bar = BenchProgressBar(rows: 1)
        _ = bar.advance("uml: bench: [############------------]  50% [ipvs 1000×10] done (IPVS has no text floor)")
        #expect(bar.fraction == 1)
        #expect(!BenchProgressBar.endsRow("[nftables 10×1] first packet failed: x"))
        #expect(!BenchProgressBar.endsRow("manifests: [weird] done-ish"))
    }
}
