import Foundation

/// Go's `time.Duration` text form (`time.ParseDuration`), as Kubernetes configuration files write it:
/// a sequence of decimal numbers with units (`300ms`, `1m30s`, `1.5h`, `2h45m`), or `0`.
/// Units: `ns`, `us` (`µs`, `μs`), `ms`, `s`, `m`, `h`. An optional leading sign is accepted.
public enum GoDuration {
    /// Seconds, or nil when `text` is not a Go duration.
    public static func parse(_ text: String) -> TimeInterval? {
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            if first == "-" { sign = -1 }
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                  let value = Double(number.hasPrefix(".") ? "0" + number : number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let scale = unitSeconds[String(unit)] else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        return sign * total
    }

    /// Formats seconds the way Go prints durations (`1m30s`, `500ms`, `0s`); for logs and messages.
    public static func format(_ seconds: TimeInterval) -> String {
        if seconds == 0 { return "0s" }
        if abs(seconds) < 1 {
            let ms = seconds * 1000
            if abs(ms) >= 1 { return trim(ms) + "ms" }
            return trim(seconds * 1_000_000) + "µs"
        }
        var out = seconds < 0 ? "-" : ""
        var s = abs(seconds)
        let hours = Int(s / 3600)
        s -= Double(hours) * 3600
        let minutes = Int(s / 60)
        s -= Double(minutes) * 60
        if hours > 0 { out += "\(hours)h" }
        if hours > 0 || minutes > 0 { out += "\(minutes)m" }
        return out + trim(s) + "s"
    }

    private static func trim(_ v: Double) -> String {
        var text = String(format: "%.9f", v)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    private static let unitSeconds: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "\u{00B5}s": 1e-6, "\u{03BC}s": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600,
    ]
}
