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

    /// Copies the piece's bytes to `target` (room for `utf8Count` bytes).
    func copy(to target: UnsafeMutablePointer<UInt8>) {
        switch self {
        case .string(let s):
            let done: Void? = s.utf8.withContiguousStorageIfAvailable { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                target.update(from: base, count: bytes.count)
            }
            if done == nil {
                var i = 0
                for b in s.utf8 { target[i] = b; i += 1 }
            }
        case .bytes(let b):
            b.withUnsafeBufferPointer { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                target.update(from: base, count: bytes.count)
            }
        }
    }
}
