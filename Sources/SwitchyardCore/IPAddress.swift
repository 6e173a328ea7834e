/// An IPv4 or IPv6 address, parsed strictly and printed canonically (RFC 5952 for IPv6).
///
/// Every address that reaches a ruleset goes through this type, so no text from a
/// Kubernetes object is ever copied into a rule: only the canonical form is printed.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address family.
    public let family: IPFamily
    /// High 64 bits (IPv6) or 0 (IPv4).
    public let high: UInt64
    /// Low 64 bits (IPv6) or the 32-bit IPv4 value.
    public let low: UInt64

    /// An IPv4 address from its 32-bit value in host order.
    public init(v4 value: UInt32) {
        family = .ipv4; high = 0; low = UInt64(value)
    }

    /// An IPv6 address from its two 64-bit halves in host order.
    public init(v6High high: UInt64, low: UInt64) {
        family = .ipv6; self.high = high; self.low = low
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text. Returns nil for anything else
    /// (leading zeros in IPv4 octets, zones, brackets, whitespace are all rejected).
    public init?(_ text: some StringProtocol) {
        var string = String(text)
        let parsed: (IPFamily, UInt64, UInt64)? = string.withUTF8 { utf8 in
            guard !utf8.isEmpty, utf8.count <= 45 else { return nil }
            if utf8.contains(UInt8(ascii: ":")) {
                guard let (h, l) = IPAddress.parseV6(utf8) else { return nil }
                return (.ipv6, h, l)
            }
            guard let v = IPAddress.parseV4(utf8[...]) else { return nil }
            return (.ipv4, 0, UInt64(v))
        }
        guard let parsed else { return nil }
        family = parsed.0; high = parsed.1; low = parsed.2
    }

    /// The 32-bit IPv4 value; meaningful only for IPv4.
    public var v4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        switch family {
        case .ipv4:
            let v = v4Value
            return [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        case .ipv6:
            var out = [UInt8]()
            out.reserveCapacity(16)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((high >> UInt64(shift)) & 0xff)) }
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((low >> UInt64(shift)) & 0xff)) }
            return out
        }
    }

    /// An address from 4 or 16 network-order bytes.
    public init?(bytes: [UInt8]) {
        if bytes.count == 4 {
            self.init(v4: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        } else if bytes.count == 16 {
            let h = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let l = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(v6High: h, low: l)
        } else {
            return nil
        }
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        switch family {
        case .ipv4: return v4Value >> 24 == 127
        case .ipv6: return high == 0 && low == 1
        }
    }

    /// True for 0.0.0.0 and ::.
    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// True for link-local unicast (169.254/16, fe80::/10).
    public var isLinkLocal: Bool {
        switch family {
        case .ipv4: return v4Value >> 16 == 0xA9FE
        case .ipv6: return high >> 54 == 0x3FA
        }
    }

    /// True for multicast (224/4, ff00::/8).
    public var isMulticast: Bool {
        switch family {
        case .ipv4: return v4Value >> 28 == 0xE
        case .ipv6: return high >> 56 == 0xFF
        }
    }

    public var description: String {
        switch family {
        case .ipv4:
            let v = v4Value
            return "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        case .ipv6:
            return IPAddress.formatV6(high: high, low: low)
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.family != b.family { return a.family == .ipv4 }
        if a.high != b.high { return a.high < b.high }
        return a.low < b.low
    }

    // MARK: parsing

    static func parseV4(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        for c in s {
            if c == UInt8(ascii: ".") {
                guard digits > 0 else { return nil }
                value = value << 8 | current
                octets += 1
                current = 0; digits = 0
                guard octets < 4 else { return nil }
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                if digits > 0 && current == 0 { return nil } // leading zero
                current = current * 10 + UInt32(c - UInt8(ascii: "0"))
                digits += 1
                guard current <= 255, digits <= 3 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | current
    }

    static func parseV6(_ s: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        var gapAt: Int? = nil
        var i = 0
        let n = s.count
        if n >= 2 && s[0] == UInt8(ascii: ":") {
            guard s[1] == UInt8(ascii: ":") else { return nil }
            gapAt = 0
            i = 2
            if i == n { return (0, 0) }
        }
        while i < n {
            // Embedded IPv4 tail.
            if let dot = s[i...].firstIndex(of: UInt8(ascii: ".")),
               s[i..<dot].allSatisfy({ $0 != UInt8(ascii: ":") }) {
                guard let v4 = parseV4(s[i...]) else { return nil }
                groups.append(UInt16(v4 >> 16)); groups.append(UInt16(v4 & 0xffff))
                i = n
                break
            }
            var value: UInt32 = 0
            var digits = 0
            while i < n, let d = hexValue(s[i]) {
                value = value << 4 | UInt32(d)
                digits += 1
                guard digits <= 4 else { return nil }
                i += 1
            }
            guard digits > 0 else { return nil }
            groups.append(UInt16(value))
            if i == n { break }
            guard s[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            if i < n && s[i] == UInt8(ascii: ":") {
                guard gapAt == nil else { return nil }
                gapAt = groups.count
                i += 1
                if i == n { break }
            } else if i == n {
                return nil // trailing single colon
            }
        }
        if let gap = gapAt {
            guard groups.count <= 7 else { return nil }
            let fill = [UInt16](repeating: 0, count: 8 - groups.count)
            groups.insert(contentsOf: fill, at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for g in groups[0..<4] { h = h << 16 | UInt64(g) }
        for g in groups[4..<8] { l = l << 16 | UInt64(g) }
        return (h, l)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func formatV6(high: UInt64, low: UInt64) -> String {
        var groups = [UInt16]()
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16((high >> UInt64(shift)) & 0xffff)) }
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16((low >> UInt64(shift)) & 0xffff)) }
        // Longest run of zero groups (length >= 2), first one wins.
        var bestStart = -1, bestLen = 0, curStart = -1, curLen = 0
        for (i, g) in groups.enumerated() {
            if g == 0 {
                if curStart < 0 { curStart = i; curLen = 0 }
                curLen += 1
                if curLen > bestLen { bestStart = curStart; bestLen = curLen }
            } else {
                curStart = -1; curLen = 0
            }
        }
        if bestLen < 2 { bestStart = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += "::"
                i += bestLen
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[i], radix: 16)
            i += 1
        }
        return out
    }
}
