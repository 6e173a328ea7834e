import Dispatch

extension ParallelMap {
    /// `pieces.joined()`, through `join(_: [TextPiece])`: above `minimumBytes` the bytes are copied
    /// on every core (a full ruleset's text is tens of megabytes: one thread copying it, and
    /// faulting in its pages, would hold the whole render back).
    public static func join(_ pieces: [String], minimumBytes: Int = 1 << 20) -> String {
        join(pieces.map(TextPiece.string), minimumBytes: minimumBytes)
    }

    /// The buffers' bytes as one string, through `join(_: [TextPiece])` (text written as bytes
    /// need not become a `String` piece by piece first).
    public static func join(_ pieces: [ASCIIBuffer], minimumBytes: Int = 1 << 20) -> String {
        join(pieces.map { TextPiece.bytes($0.bytes[...]) }, minimumBytes: minimumBytes)
    }

    /// The first piece starting at or after byte `offset` (`starts` ascending, ending in the total).
    private static func firstPiece(at offset: Int, starts: UnsafeBufferPointer<Int>) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] < offset { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

extension ParallelMap {
    /// The pieces' text, joined: `join(_:minimumBytes:)` for strings and byte slices. Above
    /// `minimumBytes` the bytes are copied on up to `workers()` threads, each into its own
    /// byte range of the result, so even a single large piece is copied on every core. Byte
    /// pieces must be UTF-8.
    public static func join(_ pieces: [TextPiece], minimumBytes: Int = 1 << 20) -> String {
        var offsets: [Int] = []
        offsets.reserveCapacity(pieces.count + 1)
        var sum = 0
        for p in pieces { offsets.append(sum); sum += p.utf8Count }
        offsets.append(sum)
        let total = sum
        if total == 0 { return "" }
        let chunks = total >= minimumBytes ? 4 * workers() : 1
        return String(unsafeUninitializedCapacity: total) { buffer in
            nonisolated(unsafe) let out = buffer.baseAddress!
            pieces.withUnsafeBufferPointer { source in
                nonisolated(unsafe) let input = source
                offsets.withUnsafeBufferPointer { starts in
                    nonisolated(unsafe) let at = starts
                    /// Copies bytes [lo, hi) of the result, the `c`-th of `chunks` ranges of about equal size.
                    @Sendable func copyChunk(_ c: Int) {
                        let lo = total * c / chunks, hi = total * (c + 1) / chunks
                        guard lo < hi else { return }
                        // The last piece starting at or before `lo` holds byte `lo` (empty pieces hold none).
                        var i = firstPiece(at: lo + 1, starts: at) - 1
                        var pos = lo
                        while pos < hi {
                            let end = min(at[i + 1], hi)
                            if end > pos { input[i].copy(from: pos - at[i], count: end - pos, to: out + pos) }
                            pos = max(pos, end)
                            i += 1
                        }
                    }
                    if chunks < 2 { copyChunk(0) } else { DispatchQueue.concurrentPerform(iterations: chunks) { copyChunk($0) } }
                }
            }
            return total
        }
    }
}
