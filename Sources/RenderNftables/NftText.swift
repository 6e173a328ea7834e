import Model
import SwitchyardCore

/// Fast text of the typed values elements are made of; the same bytes as their `description`.
enum NftText {
    /// `address.description`, IPv4 formatted without string interpolation.
    static func address(_ a: IPAddress) -> String {
        guard a.family == .ipv4 else { return a.description }
        let v = a.v4Value
        return String(unsafeUninitializedCapacity: 15) { buf in
            var n = 0
            for shift in [24, 16, 8, 0] as [UInt32] {
                if shift != 24 { buf[n] = UInt8(ascii: "."); n += 1 }
                n = put(UInt32((v >> shift) & 0xff), into: buf, at: n)
            }
            return n
        }
    }

    /// `String(n)` for a port or index.
    static func number(_ v: Int) -> String {
        guard v >= 0, v < 100_000 else { return String(v) }
        return String(unsafeUninitializedCapacity: 5) { buf in put(UInt32(v), into: buf, at: 0) }
    }

    /// `ip . port` (an endpoint map value).
    static func endpoint(_ ep: Endpoint) -> String { address(ep.ip) + " . " + number(Int(ep.port)) }

    /// Writes the decimal digits of `v` (< 100,000) at `at`; returns the new end.
    private static func put(_ v: UInt32, into buf: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        var digits = 1, p: UInt32 = 10
        while v >= p, digits < 5 { digits += 1; p *= 10 }
        var x = v
        for i in stride(from: at + digits - 1, through: at, by: -1) {
            buf[i] = UInt8(ascii: "0") + UInt8(x % 10); x /= 10
        }
        return at + digits
    }
}
