import Foundation

/// Hand-written SVG line charts against number of services, one line per backend, with axes,
/// ticks and a legend: cold sync time, and first-packet latency. Pure; no dependencies.
public enum SVGChart {
    static let width = 640.0, height = 400.0
    static let left = 70.0, right = 150.0, top = 30.0, bottom = 50.0
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]

    /// Cold sync seconds (rows without a cold sync time are skipped).
    public static func syncLatency(_ results: [BenchResult]) -> String {
        chart(title: "Cold sync time vs number of services", yLabel: "cold sync (s)",
              points: results.compactMap { r in r.coldSyncSeconds.map { (r.backend, Double(r.services), $0) } })
    }

    /// First-packet connect latency p50 in milliseconds (rows without it are skipped).
    public static func firstPacket(_ results: [BenchResult]) -> String {
        chart(title: "First-packet connect latency (p50) vs number of services", yLabel: "first packet p50 (ms)",
              points: results.compactMap { r in r.firstPacketP50.map { (r.backend, Double(r.services), $0 * 1000) } })
    }

    /// A line chart of `(backend, services, y)` points.
    static func chart(title: String, yLabel: String, points: [(String, Double, Double)]) -> String {
        let backends = orderedUnique(points.map(\.0))
        let maxX = max(1, points.map(\.1).max() ?? 1)
        let maxY = niceCeiling(points.map(\.2).max() ?? 1)
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ v: Double) -> Double { left + v / maxX * plotW }
        func y(_ v: Double) -> Double { top + plotH - v / maxY * plotH }

        var svg = [#"<svg xmlns="http://www.w3.org/2000/svg" width="\#(fmt(width))" height="\#(fmt(height))" viewBox="0 0 \#(fmt(width)) \#(fmt(height))" font-family="sans-serif" font-size="12">"#,
                   #"<rect width="100%" height="100%" fill="white"/>"#,
                   #"<text x="\#(fmt(left))" y="18" font-size="14">\#(escape(title))</text>"#]
        // Axes.
        svg.append(#"<line x1="\#(fmt(left))" y1="\#(fmt(top + plotH))" x2="\#(fmt(left + plotW))" y2="\#(fmt(top + plotH))" stroke="black"/>"#)
        svg.append(#"<line x1="\#(fmt(left))" y1="\#(fmt(top))" x2="\#(fmt(left))" y2="\#(fmt(top + plotH))" stroke="black"/>"#)
        for i in 0...4 {
            let vy = maxY * Double(i) / 4, py = y(vy)
            svg.append(#"<line x1="\#(fmt(left - 4))" y1="\#(fmt(py))" x2="\#(fmt(left + plotW))" y2="\#(fmt(py))" stroke="lightgray"/>"#)
            svg.append(#"<text x="\#(fmt(left - 8))" y="\#(fmt(py + 4))" text-anchor="end">\#(tickLabel(vy))</text>"#)
        }
        for sx in orderedUnique(points.map(\.1)).sorted() {
            svg.append(#"<line x1="\#(fmt(x(sx)))" y1="\#(fmt(top + plotH))" x2="\#(fmt(x(sx)))" y2="\#(fmt(top + plotH + 4))" stroke="black"/>"#)
            svg.append(#"<text x="\#(fmt(x(sx)))" y="\#(fmt(top + plotH + 18))" text-anchor="middle">\#(Int(sx))</text>"#)
        }
        svg.append(#"<text x="\#(fmt(left + plotW / 2))" y="\#(fmt(height - 10))" text-anchor="middle">services</text>"#)
        svg.append(#"<text x="16" y="\#(fmt(top + plotH / 2))" text-anchor="middle" transform="rotate(-90 16 \#(fmt(top + plotH / 2)))">\#(escape(yLabel))</text>"#)
        // One line per backend, and the legend.
        for (i, b) in backends.enumerated() {
            let color = palette[i % palette.count]
            let pts = points.filter { $0.0 == b }.sorted { $0.1 < $1.1 }
            let path = pts.map { "\(fmt(x($0.1))),\(fmt(y($0.2)))" }.joined(separator: " ")
            svg.append(#"<polyline class="series" data-backend="\#(escape(b))" fill="none" stroke="\#(color)" stroke-width="2" points="\#(path)"/>"#)
            for p in pts { svg.append(#"<circle cx="\#(fmt(x(p.1)))" cy="\#(fmt(y(p.2)))" r="3" fill="\#(color)"/>"#) }
            let ly = top + 10 + Double(i) * 20
            svg.append(#"<line x1="\#(fmt(width - right + 15))" y1="\#(fmt(ly))" x2="\#(fmt(width - right + 40))" y2="\#(fmt(ly))" stroke="\#(color)" stroke-width="2"/>"#)
            svg.append(#"<text class="legend" x="\#(fmt(width - right + 46))" y="\#(fmt(ly + 4))">\#(escape(b))</text>"#)
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// The smallest 1/2/5×10ⁿ at or above `v` (1 for nothing positive).
    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(v)))
        for m in [1.0, 2, 5, 10] where m * magnitude >= v { return m * magnitude }
        return 10 * magnitude
    }

    static func tickLabel(_ v: Double) -> String {
        v == 0 ? "0" : v < 0.01 ? String(format: "%.4f", v) : v < 1 ? String(format: "%.2f", v) : String(format: "%g", v)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func orderedUnique<T: Hashable>(_ xs: [T]) -> [T] {
        var seen = Set<T>()
        return xs.filter { seen.insert($0).inserted }
    }
}
