import Model
import SwitchyardCore

/// Fast text of the typed values elements are made of; the same bytes as their `description`.
enum NftText {
    /// `address.description`, IPv4 formatted without string interpolation.
    static func address(_ a: IPAddress) -> String {
        var w = NftTextWriter()
        w.write(a)
        return w.string
    }

    /// `String(n)` for a port or index.
    static func number(_ v: Int) -> String {
        guard v >= 0, v <= Int(UInt32.max) else { return String(v) }
        var w = NftTextWriter()
        w.write(number: UInt32(v))
        return w.string
    }

    /// `ip . port` (an endpoint map value).
    static func endpoint(_ ep: Endpoint) -> String { address(ep.ip) + " . " + number(Int(ep.port)) }
}

/// Script text built as UTF-8 bytes and turned into one `String` at the end: addresses and
/// numbers are written digit by digit, with no intermediate strings.
struct NftTextWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// The text written so far.
    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func write(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// `a.description` (IPv6 through its description: rare, and RFC 5952 zero compression).
    mutating func write(_ a: IPAddress) {
        guard a.family == .ipv4 else { write(a.description); return }
        let v = a.v4Value
        write(number: v >> 24)
        bytes.append(UInt8(ascii: "."))
        write(number: (v >> 16) & 0xff)
        bytes.append(UInt8(ascii: "."))
        write(number: (v >> 8) & 0xff)
        bytes.append(UInt8(ascii: "."))
        write(number: v & 0xff)
    }

    /// The decimal digits of `v`.
    mutating func write(number v: UInt32) {
        if v < 10 { bytes.append(UInt8(ascii: "0") &+ UInt8(v)); return }
        var digits = 1, p: UInt32 = 10
        while digits < 10, v >= p { digits += 1; if digits < 10 { p &*= 10 } }
        let start = bytes.count
        for _ in 0..<digits { bytes.append(0) }
        var x = v
        for i in stride(from: start + digits - 1, through: start, by: -1) {
            bytes[i] = UInt8(ascii: "0") &+ UInt8(x % 10); x /= 10
        }
    }
}
