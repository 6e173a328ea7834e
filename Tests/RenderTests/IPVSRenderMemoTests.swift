import Diff
import Model
@testable import RenderIPVS
import SwitchyardCore
import Testing

private typealias F = IPVSFixtures

/// `IPVSRenderer.renderIncremental` goes through a plan index of the last state it rendered; it
/// must converge like the scan of every port does, and fall back to the scan for any other state.
@Suite struct IPVSRenderMemoTests {
    @Test(arguments: [11, 12, 13] as [UInt64])
    func indexAndScanConvergeToTheSamePlan(seed: UInt64) throws {
        var rng = IPVSSeededRNG(seed: seed)
        let renderer = IPVSRenderer()
        var viaIndex = IPVSTestKernel(), viaScan = IPVSTestKernel()
        var prev = IPVSRandomStates.make(&rng)
        try viaIndex.apply(renderer.renderFull(prev).operations)
        try viaScan.apply(renderer.renderFull(prev).operations)
        for _ in 0..<10 {
            let state = IPVSRandomStates.make(&rng)
            let d = F.diff(prev, state)
            // The scan first: it must not disturb what the renderer remembers.
            try viaScan.apply(renderer.renderIncrementalByScan(d, state: state).operations)
            try viaIndex.apply(renderer.renderIncremental(d, state: state).operations)
            viaScan.finishDrains(); viaIndex.finishDrains()
            #expect(viaIndex.plan == viaScan.plan)
            #expect(viaIndex.plan == IPVSTestKernel.comparable(renderer.plan(state)))
            prev = state
        }
    }

    /// The full render seeds the index, so no incremental render (the first one after a full
    /// render included) pays a pass over every port to build it.
    @Test func theFullRenderRemembersAnIndex() throws {
        var rng = IPVSSeededRNG(seed: 31)
        let renderer = IPVSRenderer()
        let a = IPVSRandomStates.make(&rng), b = IPVSRandomStates.make(&rng)
        #expect(!renderer.hasMemoisedIndex)
        let full = renderer.renderFull(a)
        #expect(renderer.hasMemoisedIndex)
        #expect(full.plan == renderer.plan(a))
        let d = F.diff(a, b)
        #expect(renderer.renderIncremental(d, state: b) == renderer.renderIncrementalByScan(d, state: b))
    }

    @Test func anUnrelatedStateIsRenderedByTheScan() throws {
        var rng = IPVSSeededRNG(seed: 21)
        let renderer = IPVSRenderer()
        let a = IPVSRandomStates.make(&rng), b = IPVSRandomStates.make(&rng), c = IPVSRandomStates.make(&rng)
        _ = renderer.renderFull(a)
        // A diff that does not start from `a`: the memo must not be used (the scan answers).
        let d = F.diff(b, c)
        #expect(renderer.renderIncremental(d, state: c) == renderer.renderIncrementalByScan(d, state: c))
    }
}
