/// Order statistics over measured samples.
public enum Percentile {
    /// The nearest-rank `p`-th percentile (0 < p ≤ 100) of `samples`: the smallest sample with at
    /// least p% of samples at or below it. Nil for no samples. With few samples p99 is the maximum.
    public static func of(_ samples: [Double], _ p: Double) -> Double? {
        guard !samples.isEmpty, p > 0, p <= 100 else { return nil }
        let sorted = samples.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}
