/// Rule text built as UTF-8 bytes and turned into one `String` at the end: addresses and numbers
/// are written digit by digit, with no intermediate strings, and a piece costs a copy of its bytes
/// instead of `String`'s per-append bookkeeping (capacity, ASCII and count flags). The renderers
/// write their large texts (nftables elements, IPVS destination lines, iptables DNAT rules) with it.
public struct ASCIIBuffer: Sendable {
    /// The bytes written so far.
    public internal(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// A buffer holding `text`'s bytes.
    public init(_ text: String) { bytes = Array(text.utf8) }

    /// Bytes written so far.
    public var count: Int { bytes.count }
    public var isEmpty: Bool { bytes.isEmpty }

    /// The text written so far.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func reserveCapacity(_ n: Int) { bytes.reserveCapacity(n) }
    public mutating func removeAll(keepingCapacity: Bool = true) { bytes.removeAll(keepingCapacity: keepingCapacity) }

    /// Appends `s`'s UTF-8 bytes.
    public mutating func write(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// Appends another buffer's bytes.
    public mutating func write(_ other: ASCIIBuffer) { bytes.append(contentsOf: other.bytes) }

    /// Appends one byte (an ASCII character: `write(byte: UInt8(ascii: "\n"))`).
    public mutating func write(byte: UInt8) { bytes.append(byte) }

    /// `a.description`: IPv4 octet by octet; IPv6 through its description (rare, and RFC 5952
    /// zero compression).
    public mutating func write(_ a: IPAddress) {
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

    /// `a.description` with brackets around IPv6 (`10.0.0.1`, `[fd00::1]`), as in `host:port`.
    public mutating func write(bracketed a: IPAddress) {
        if a.family == .ipv4 { write(a); return }
        bytes.append(UInt8(ascii: "[")); write(a.description); bytes.append(UInt8(ascii: "]"))
    }

    /// `host:port`, the host bracketed when IPv6 (`10.0.0.1:80`, `[fd00::1]:80`, as
    /// `write(bracketed: a)`, `:`, `write(number: port)`). IPv4 is formatted on the stack and
    /// appended in one copy: for text with an endpoint on every line (DNAT rules, real servers).
    public mutating func write(bracketed a: IPAddress, port: UInt16) {
        guard a.family == .ipv4 else {
            write(bracketed: a); bytes.append(UInt8(ascii: ":")); write(number: UInt32(port))
            return
        }
        let v = a.v4Value
        var text: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: at most 15 + 1 + 5 are used
        withUnsafeMutableBytes(of: &text) { b in
            var n = 0
            /// The decimal digits of `x` (< 100,000) at `n`.
            func decimal(_ x: UInt32) {
                let digits = x < 10 ? 1 : x < 100 ? 2 : x < 1000 ? 3 : x < 10_000 ? 4 : 5
                var rest = x
                for i in stride(from: n + digits - 1, through: n, by: -1) {
                    b[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                    rest /= 10
                }
                n += digits
            }
            decimal(v >> 24); b[n] = UInt8(ascii: "."); n += 1
            decimal((v >> 16) & 0xff); b[n] = UInt8(ascii: "."); n += 1
            decimal((v >> 8) & 0xff); b[n] = UInt8(ascii: "."); n += 1
            decimal(v & 0xff); b[n] = UInt8(ascii: ":"); n += 1
            decimal(UInt32(port))
            bytes.append(contentsOf: UnsafeBufferPointer(start: b.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n))
        }
    }

    /// `String(v)`: the decimal digits of `v`, made right to left on the stack (divisions by the
    /// constant 10) and appended one byte at a time (numbers here have 1–5 digits: a bulk append
    /// of so few bytes costs more than it saves).
    public mutating func write(number v: UInt32) {
        if v < 10 { bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v)); return }
        var digits: (UInt64, UInt16) = (0, 0) // 10 bytes: UInt32.max has 10 digits
        withUnsafeMutableBytes(of: &digits) { d in
            var i = 10, x = v
            repeat {
                i -= 1
                d[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x % 10)
                x /= 10
            } while x > 0
            while i < 10 { bytes.append(d[i]); i += 1 }
        }
    }

    /// `String(v)` for any integer (negative and wide ones through `String`).
    public mutating func write(number v: Int) {
        if v >= 0, v <= Int(UInt32.max) { write(number: UInt32(v)) } else { write(String(v)) }
    }
}
