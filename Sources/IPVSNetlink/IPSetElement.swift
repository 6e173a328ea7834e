import SwitchyardCore

/// One ipset member as the kernel carries it in IPSET_ATTR_DATA. Which fields are set depends on
/// the set type: `hash:ip` (ip), `hash:ip,port` (ip, port, proto), `hash:ip,port,ip` (+ ip2),
/// `hash:ip,port,net` (+ ip2, cidr2), `bitmap:port` (port).
public struct IPSetElement: Hashable, Sendable, CustomStringConvertible {
    public var ip: IPAddress?
    public var port: UInt16?
    /// IP protocol number (6 tcp, 17 udp, 132 sctp).
    public var proto: UInt8?
    public var ip2: IPAddress?
    public var cidr2: UInt8?

    public init(ip: IPAddress? = nil, port: UInt16? = nil, proto: UInt8? = nil, ip2: IPAddress? = nil, cidr2: UInt8? = nil) {
        self.ip = ip; self.port = port; self.proto = proto; self.ip2 = ip2; self.cidr2 = cidr2
    }

    public var description: String {
        var parts: [String] = []
        if let ip { parts.append("\(ip)") }
        if let port { parts.append(proto.map { "\($0):\(port)" } ?? "\(port)") }
        if let ip2 { parts.append(cidr2.map { "\(ip2)/\($0)" } ?? "\(ip2)") }
        return parts.joined(separator: ",")
    }

    /// Writes the element's attributes (inside IPSET_ATTR_DATA). Addresses are nested with
    /// NLA_F_NESTED and every multi-byte value is network order with NLA_F_NET_BYTEORDER, as ipset
    /// requires (it answers IPSET_ERR_PROTOCOL otherwise).
    public func encode(into w: inout NetlinkAttributeWriter) {
        let c = IPSetNetlink.self
        if let ip { w.appendIPSetAddress(c.dataIP, ip) }
        if let port { w.append(c.dataPort | Netlink.attributeNetByteOrder, be16: port) }
        if let proto { w.append(c.dataProtocol, u8: proto) }
        if let ip2 { w.appendIPSetAddress(c.dataIP2, ip2) }
        if let cidr2 { w.append(c.dataCIDR2, u8: cidr2) }
    }

    /// Reads an element from the attributes of one IPSET_ATTR_DATA (unknown attributes ignored).
    public static func decode(_ data: ArraySlice<UInt8>) throws -> IPSetElement {
        let c = IPSetNetlink.self
        var e = IPSetElement()
        try NetlinkAttributes.forEach(in: data) { type, payload in
            switch type {
            case c.dataIP: e.ip = try address(payload)
            case c.dataIP2: e.ip2 = try address(payload)
            case c.dataPort where payload.count >= 2: e.port = UInt16(bigEndian: NetlinkBytes.u16(payload, at: payload.startIndex))
            case c.dataProtocol where payload.count >= 1: e.proto = payload[payload.startIndex]
            case c.dataCIDR2 where payload.count >= 1: e.cidr2 = payload[payload.startIndex]
            default: break
            }
        }
        return e
    }

    private static func address(_ nest: ArraySlice<UInt8>) throws -> IPAddress? {
        var out: IPAddress?
        try NetlinkAttributes.forEach(in: nest) { type, p in
            if type == IPSetNetlink.addressIPv4, p.count == 4 {
                out = IPAddress(v4: UInt32(bigEndian: NetlinkBytes.u32(p, at: p.startIndex)))
            } else if type == IPSetNetlink.addressIPv6, p.count == 16 {
                let high = NetlinkBytes.u64(p, at: p.startIndex), low = NetlinkBytes.u64(p, at: p.startIndex + 8)
                out = IPAddress(v6High: UInt64(bigEndian: high), low: UInt64(bigEndian: low))
            }
        }
        return out
    }
}

extension NetlinkAttributeWriter {
    /// IPSET_ATTR_IP-style nest: NLA_F_NESTED around IPSET_ATTR_IPADDR_IPV4/6 (network order).
    mutating func appendIPSetAddress(_ type: UInt16, _ a: IPAddress) {
        nested(type | Netlink.attributeNested) { w in
            if a.family == .ipv4 {
                w.append(IPSetNetlink.addressIPv4 | Netlink.attributeNetByteOrder, u32: a.v4Value.bigEndian)
            } else {
                w.append(IPSetNetlink.addressIPv6 | Netlink.attributeNetByteOrder, address: a.high, a.low, isIPv4: false, width: 16)
            }
        }
    }
}
