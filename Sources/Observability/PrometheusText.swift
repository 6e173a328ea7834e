/// A builder for the Prometheus text exposition format (version 0.0.4).
///
/// Families are written in the order added, each with `# HELP` and `# TYPE` lines; label values are
/// escaped; numbers are printed the way Prometheus' Go client prints them (`1`, `0.25`, `+Inf`).
public struct PrometheusText: Sendable {
    public enum MetricType: String, Sendable { case counter, gauge, histogram }

    public private(set) var text = ""

    public init() {}

    /// Starts a family.
    public mutating func family(_ name: String, type: MetricType, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample line.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    /// A whole histogram family.
    public mutating func histogram(_ name: String, help: String, _ h: Histogram) {
        family(name, type: .histogram, help: help)
        var cumulative: UInt64 = 0
        for (bound, count) in zip(h.bounds, h.counts) {
            cumulative += count
            sample(name + "_bucket", labels: [("le", Self.format(bound))], value: Double(cumulative))
        }
        sample(name + "_bucket", labels: [("le", "+Inf")], value: Double(h.count))
        sample(name + "_sum", value: h.sum)
        sample(name + "_count", value: Double(h.count))
    }

    /// Go-client style number formatting.
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeLabel(_ s: String) -> String {
        escapeHelp(s).replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// A cumulative histogram with fixed upper bounds (`+Inf` is implicit).
public struct Histogram: Hashable, Sendable {
    /// Sorted upper bounds.
    public let bounds: [Double]
    /// Observations per bucket (not cumulative); the `+Inf` overflow is `count − counts.sum`.
    public private(set) var counts: [UInt64]
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    public init(bounds: [Double]) {
        self.bounds = bounds.sorted()
        self.counts = Array(repeating: 0, count: bounds.count)
    }

    public mutating func observe(_ value: Double) {
        sum += value
        count += 1
        if let i = bounds.firstIndex(where: { value <= $0 }) { counts[i] += 1 }
    }

    /// kube-proxy's sync duration buckets: 1 ms doubling 15 times (up to 16.384 s).
    public static var syncDurationBounds: [Double] { exponential(start: 0.001, factor: 2, count: 15) }

    /// kube-proxy's network programming buckets: 0.25 s, 0.5 s, 1…59 s, 60…115 s by 5, 120…300 s by 30.
    public static var networkProgrammingBounds: [Double] {
        [0.25, 0.5] + (1...59).map(Double.init) + (0..<12).map { 60 + 5 * Double($0) } + (0..<7).map { 120 + 30 * Double($0) }
    }

    public static func exponential(start: Double, factor: Double, count: Int) -> [Double] {
        var out: [Double] = [], v = start
        for _ in 0..<count { out.append(v); v *= factor }
        return out
    }
}
