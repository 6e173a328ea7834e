import Model
import SwitchyardCore

/// Small text helpers shared by the rule builders. Nothing here accepts free text except
/// `comment`, which filters to a fixed safe alphabet.
enum IptablesFormat {
    /// `ADDR/32` or `ADDR/128`.
    static func host(_ ip: IPAddress) -> String { "\(ip)/\(ip.family == .ipv4 ? 32 : 128)" }

    /// `-m comment --comment "TEXT" ` (with trailing space), or empty when comments are off.
    /// Only `[A-Za-z0-9._:/ -]` survives; anything else becomes `_`; at most 200 characters.
    static func comment(_ text: String, enabled: Bool) -> String {
        guard enabled else { return "" }
        return "-m comment --comment \"\(sanitize(text))\" "
    }

    /// `comment("NAME SUFFIX", enabled:)` for one port's many rules: the name is checked once,
    /// and when name and suffix are already in the safe alphabet and short enough the text is
    /// only concatenated (the same result as sanitizing it).
    struct Commenter {
        let name: String
        let enabled: Bool
        /// `-m comment --comment "NAME ` when the name needs no sanitizing, else nil.
        private let head: String?
        private let headLength: Int

        init(_ name: String, enabled: Bool) {
            self.name = name; self.enabled = enabled
            let safe = enabled && IptablesFormat.isSafe(name)
            head = safe ? "-m comment --comment \"" + name + " " : nil
            headLength = name.utf8.count + 1
        }

        func callAsFunction(_ suffix: String) -> String {
            guard enabled else { return "" }
            if let head, headLength + suffix.utf8.count <= 200, IptablesFormat.isSafe(suffix) {
                return head + suffix + "\" "
            }
            return IptablesFormat.comment(name + " " + suffix, enabled: true)
        }
    }

    /// Every byte is one `sanitize` keeps as it is.
    static func isSafe(_ text: String) -> Bool {
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "-"), UInt8(ascii: " "):
                continue
            default: return false
            }
        }
        return true
    }

    static func sanitize(_ text: String) -> String {
        var out = ""
        for s in text.unicodeScalars.prefix(200) {
            switch s {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", ":", "/", "-", " ": out.unicodeScalars.append(s)
            default: out += "_"
            }
        }
        return out
    }

    /// `1/k` with ten decimals, as kube-proxy prints statistic probabilities (`0.3333333333`).
    static func probability(oneIn k: Int) -> String {
        precondition(k >= 1)
        if k < probabilities.count { return probabilities[k] }
        return formatProbability(oneIn: k)
    }

    /// `probability(oneIn:)` for the common small `k`, formatted once.
    private static let probabilities: [String] = (0..<256).map { $0 == 0 ? "" : formatProbability(oneIn: $0) }

    private static func formatProbability(oneIn k: Int) -> String {
        if k == 1 { return "1.0000000000" }
        let scale: UInt64 = 10_000_000_000
        let v = (scale + UInt64(k) / 2) / UInt64(k)
        let digits = String(v)
        return "0." + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    /// `0x8000`.
    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}
