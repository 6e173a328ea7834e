/// A stable, platform-independent 64-bit hash (FNV-1a) used to name chains and sets.
///
/// Swift's `Hasher` is seeded per process, so it cannot name kernel objects that must keep
/// the same name across restarts; this can.
public struct StableHash: Sendable {
    private var state: UInt64 = 0xcbf29ce484222325

    public init() {}

    /// Mixes bytes into the hash.
    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            state ^= UInt64(b)
            state = state &* 0x100000001b3
        }
    }

    /// Mixes a string (its UTF-8 bytes followed by a separator byte).
    public mutating func combine(_ text: String) {
        combine(text.utf8)
        combine(CollectionOfOne(UInt8(0)))
    }

    /// The hash value.
    public var value: UInt64 { state }

    /// The hash of some strings, joined unambiguously.
    public static func of(_ parts: String...) -> UInt64 {
        var h = StableHash()
        for p in parts { h.combine(p) }
        return h.value
    }

    /// `count` characters of base-32 (A–Z, 2–7) from the hash, as kube-proxy names its chains.
    /// At most 12 characters (60 bits), written straight into a small string: no allocation (the
    /// iptables renderer names every port's chains with it).
    public static func base32(_ value: UInt64, count: Int = 16) -> String {
        let n = max(0, min(count, 12))
        return String(unsafeUninitializedCapacity: n) { out in
            var v = value
            for i in 0..<n {
                let d = UInt8(truncatingIfNeeded: v & 31)
                out[i] = d < 26 ? UInt8(ascii: "A") + d : UInt8(ascii: "2") + (d - 26)
                v >>= 5
            }
            return n
        }
    }
}
