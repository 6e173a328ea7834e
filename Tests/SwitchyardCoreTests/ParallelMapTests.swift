import Synchronization
import Testing
@testable import SwitchyardCore

@Suite struct ParallelMapTests {
    /// Sizes around every chunking boundary: serial, exactly two chunks, many uneven chunks.
    @Test(arguments: [0, 1, 7, 511, 1024, 1025, 4097, 10_003])
    func equalsSerialMapInOrder(count: Int) {
        let items = (0..<count).map { $0 &* 2_654_435_761 % 1_000_003 }
        let out = ParallelMap.map(items, minimumChunk: 256) { "\($0):\($0 % 7)" }
        #expect(out == items.map { "\($0):\($0 % 7)" })
    }

    @Test func transformsEachItemExactlyOnce() {
        let calls = Mutex(0)
        let items = Array(0..<5_000)
        let out = ParallelMap.map(items, minimumChunk: 64) { x -> Int in
            calls.withLock { $0 += 1 }
            return x + 1
        }
        #expect(calls.withLock { $0 } == items.count)
        #expect(out == items.map { $0 + 1 })
    }
}
