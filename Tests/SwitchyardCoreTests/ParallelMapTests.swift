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

    /// The collection overload reads the items in place; its indices need not start at 0.
    @Test(arguments: [0, 3, 1024, 5_001])
    func collectionMapEqualsSerialMap(count: Int) {
        let items = 7..<(7 + count)
        let out = ParallelMap.map(items, minimumChunk: 128) { $0 * 3 }
        #expect(out == items.map { $0 * 3 })
    }

    /// Below and above the parallel threshold, with empty and multi-byte pieces: the plain join.
    @Test(arguments: [0, 1, 10, 20_000])
    func joinEqualsJoined(count: Int) {
        let pieces = (0..<count).map { i in i % 5 == 0 ? "" : (i % 3 == 0 ? "é\(i)ü\n" : String(repeating: "x", count: i % 97)) }
        #expect(ParallelMap.join(pieces) == pieces.joined())
        #expect(ParallelMap.join(pieces, minimumBytes: 1) == pieces.joined())
    }

    /// Buffers join like their strings, serially and in parallel, with empty buffers anywhere.
    @Test(arguments: [0, 1, 10, 20_000])
    func bufferJoinEqualsJoined(count: Int) {
        let pieces = (0..<count).map { i in i % 5 == 0 ? "" : (i % 3 == 0 ? "é\(i)ü\n" : String(repeating: "y", count: i % 89)) }
        let buffers = pieces.map { ASCIIBuffer($0) }
        #expect(ParallelMap.join(buffers) == pieces.joined())
        #expect(ParallelMap.join(buffers, minimumBytes: 1) == pieces.joined())
    }

    /// Both closures run once each and their results come back in argument order.
    @Test func bothRunsEachOnceInOrder() {
        let calls = Mutex([String]())
        let (a, b) = ParallelMap.both({ calls.withLock { $0.append("a") }; return (1...100).reduce(0, +) },
                                      { calls.withLock { $0.append("b") }; return "second" })
        #expect(a == 5050)
        #expect(b == "second")
        #expect(calls.withLock { $0.sorted() } == ["a", "b"])
    }

    /// Strings and byte slices (of a larger buffer, not starting at 0) mixed: the plain join.
    @Test(arguments: [0, 1, 10, 20_000])
    func textPieceJoinEqualsJoined(count: Int) {
        var buffer = ASCIIBuffer()
        var parts: [Either] = [], expected = ""
        enum Either { case string(String), range(Range<Int>) }
        for i in 0..<count {
            let text = i % 5 == 0 ? "" : (i % 3 == 0 ? "é\(i)ü\n" : String(repeating: "x", count: i % 97))
            expected += text
            if i % 2 == 0 {
                parts.append(.string(text))
            } else {
                buffer.write("skipped")
                let start = buffer.count
                buffer.write(text)
                parts.append(.range(start..<buffer.count))
            }
        }
        let pieces = parts.map { part -> TextPiece in
            switch part {
            case .string(let s): return .string(s)
            case .range(let r): return .bytes(buffer.bytes[r])
            }
        }
        #expect(ParallelMap.join(pieces) == expected)
        #expect(ParallelMap.join(pieces, minimumBytes: 1) == expected)
        #expect(pieces.reduce(0) { $0 + $1.utf8Count } == expected.utf8.count)
        // One large piece between small ones is split between the threads.
        let large = String(repeating: "0123456789abcdef", count: count)
        #expect(ParallelMap.join([.string("a")] + pieces + [.string(large), .bytes([]), .string("é")], minimumBytes: 1) == "a" + expected + large + "é")
    }
}

