/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator whose output is the same on
/// every platform and Swift version.
///
/// Synthetic clusters draw only through `below(_:)` and `chance(_:)`, never through the
/// standard library's `random(in:using:)`, whose algorithm is not guaranteed to stay the same.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject); 0 when `bound <= 1`.
    public mutating func below(_ bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let n = UInt64(bound)
        let threshold = (0 &- n) % n
        while true {
            let product = next().multipliedFullWidth(by: n)
            if product.low >= threshold { return Int(product.high) }
        }
    }

    /// True with probability `p` (clamped to 0...1).
    public mutating func chance(_ p: Double) -> Bool {
        guard p > 0 else { return false }
        guard p < 1 else { return true }
        return Double(next() >> 11) * 0x1p-53 < p
    }

    /// A generator for an independent sub-stream, derived from this one's seed and a label.
    func derived(_ label: UInt64) -> SplitMix64 {
        var copy = SplitMix64(seed: state ^ (label &* 0xD1B5_4A32_D192_ED03))
        _ = copy.next()
        return copy
    }
}
