/// An address prefix such as `10.244.0.0/16` or `fd00::/64`, normalised so host bits are zero.
public struct CIDR: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The network address (host bits cleared).
    public let address: IPAddress
    /// Prefix length: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// A prefix from an address and length; host bits are cleared. Nil when the length is out of range.
    public init?(address: IPAddress, prefixLength: Int) {
        let maxLen = address.family == .ipv4 ? 32 : 128
        guard prefixLength >= 0, prefixLength <= maxLen else { return nil }
        self.prefixLength = prefixLength
        self.address = CIDR.mask(address, prefixLength)
    }

    /// Parses `ADDR/LEN`; a bare address is taken as a host prefix (/32 or /128).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let addr = IPAddress(parts[0]) else { return nil }
        var len = addr.family == .ipv4 ? 32 : 128
        if parts.count == 2 {
            let p = parts[1]
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p) else { return nil }
            len = v
        }
        self.init(address: addr, prefixLength: len)
    }

    /// The prefix's family.
    public var family: IPFamily { address.family }

    /// True when `ip` lies inside this prefix.
    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && CIDR.mask(ip, prefixLength) == address
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public static func < (a: CIDR, b: CIDR) -> Bool {
        a.address != b.address ? a.address < b.address : a.prefixLength < b.prefixLength
    }

    static func mask(_ ip: IPAddress, _ len: Int) -> IPAddress {
        switch ip.family {
        case .ipv4:
            let m: UInt32 = len == 0 ? 0 : ~UInt32(0) << UInt32(32 - len)
            return IPAddress(v4: ip.v4Value & m)
        case .ipv6:
            let mh: UInt64 = len >= 64 ? ~0 : (len == 0 ? 0 : ~UInt64(0) << UInt64(64 - len))
            let ml: UInt64 = len <= 64 ? 0 : (len == 128 ? ~0 : ~UInt64(0) << UInt64(128 - len))
            return IPAddress(v6High: ip.high & mh, low: ip.low & ml)
        }
    }
}
