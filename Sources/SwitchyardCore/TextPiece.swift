/// A piece of a large text: a string, or bytes written ahead (a slice of an `ASCIIBuffer`'s
/// bytes, UTF-8). `ParallelMap.join` copies either kind straight into the result, so text built
/// as bytes on every core is never turned into a `String` of its own first.
public enum TextPiece: Sendable, Equatable {
    case string(String)
    case bytes(ArraySlice<UInt8>)

    /// Bytes in the piece.
    public var utf8Count: Int {
        switch self {
        case .string(let s): return s.utf8.count
        case .bytes(let b): return b.count
        }
    }

    /// Copies `count` of the piece's bytes, from byte `start` on, to `target`.
    func copy(from start: Int, count: Int, to target: UnsafeMutablePointer<UInt8>) {
        switch self {
        case .string(let s):
            let done: Void? = s.utf8.withContiguousStorageIfAvailable { bytes in
                target.update(from: bytes.baseAddress! + start, count: count)
            }
            if done == nil {
                var i = 0
                for b in s.utf8.dropFirst(start).prefix(count) { target[i] = b; i += 1 }
            }
        case .bytes(let b):
            b.withUnsafeBufferPointer { bytes in target.update(from: bytes.baseAddress! + start, count: count) }
        }
    }
}
