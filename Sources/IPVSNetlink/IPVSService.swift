import SwitchyardCore

/// What identifies an IPVS virtual service: protocol + address + port, or a firewall mark.
public enum IPVSServiceKey: Hashable, Sendable, CustomStringConvertible {
    case address(protocol: L4Protocol, address: IPAddress, port: UInt16)
    case firewallMark(UInt32, family: IPFamily)

    public var family: IPFamily {
        switch self {
        case let .address(_, address, _): return address.family
        case let .firewallMark(_, family): return family
        }
    }

    public var description: String {
        switch self {
        case let .address(p, a, port):
            return a.family == .ipv4 ? "\(p.lowercased) \(a):\(port)" : "\(p.lowercased) [\(a)]:\(port)"
        case let .firewallMark(mark, family): return "fwmark \(mark) \(family)"
        }
    }

    /// Writes IPVS_SVC_ATTR_AF and the identifying attributes (inside IPVS_CMD_ATTR_SERVICE).
    func encode(into w: inout NetlinkAttributeWriter) {
        w.append(IPVSNetlinkConstants.serviceAddressFamily, u16: family.addressFamilyNumber)
        switch self {
        case let .address(proto, address, port):
            w.append(IPVSNetlinkConstants.serviceProtocol, u16: UInt16(proto.number))
            w.appendIPVSAddress(IPVSNetlinkConstants.serviceAddress, address)
            w.append(IPVSNetlinkConstants.servicePort, be16: port)
        case let .firewallMark(mark, _):
            w.append(IPVSNetlinkConstants.serviceFirewallMark, u32: mark)
        }
    }

    /// Reads the key back from a service's attributes.
    static func decode(_ a: NetlinkAttributes) throws -> IPVSServiceKey {
        guard let af = a.u16(IPVSNetlinkConstants.serviceAddressFamily), let family = IPFamily(addressFamilyNumber: af) else {
            throw NetlinkError.malformed("IPVS service without a known address family")
        }
        if let mark = a.u32(IPVSNetlinkConstants.serviceFirewallMark), mark != 0 {
            return .firewallMark(mark, family: family)
        }
        guard let number = a.u16(IPVSNetlinkConstants.serviceProtocol),
              let proto = L4Protocol(ipProtocolNumber: number),
              let raw = a[IPVSNetlinkConstants.serviceAddress], let address = IPAddress(ipvsBytes: raw, family: family),
              let port = a.be16(IPVSNetlinkConstants.servicePort) else {
            throw NetlinkError.malformed("IPVS service without protocol, address or port")
        }
        return .address(protocol: proto, address: address, port: port)
    }
}

/// IPVS service flags (IP_VS_SVC_F_*). IP_VS_SVC_F_HASHED is kernel-internal and dropped on decode.
public struct IPVSServiceFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let persistent = IPVSServiceFlags(rawValue: IPVSNetlinkConstants.serviceFlagPersistent)
    public static let onePacket = IPVSServiceFlags(rawValue: IPVSNetlinkConstants.serviceFlagOnePacket)
    /// sh: fall back to another server when the chosen one is unavailable (IP_VS_SVC_F_SCHED1).
    public static let schedulerFlag1 = IPVSServiceFlags(rawValue: IPVSNetlinkConstants.serviceFlagSched1)
    /// sh: hash the source port too (IP_VS_SVC_F_SCHED2).
    public static let schedulerFlag2 = IPVSServiceFlags(rawValue: IPVSNetlinkConstants.serviceFlagSched2)
    public static let schedulerFlag3 = IPVSServiceFlags(rawValue: IPVSNetlinkConstants.serviceFlagSched3)
}

/// A complete IPVS virtual service as programmed (the kernel needs every field: scheduler, flags,
/// timeout and netmask, or it answers EINVAL).
public struct IPVSService: Hashable, Sendable {
    public var key: IPVSServiceKey
    /// Scheduler name (`rr`, `wrr`, `sh`, `mh`, `lc`, …), at most 15 bytes.
    public var scheduler: String
    public var flags: IPVSServiceFlags
    /// Persistence timeout in seconds (used with `.persistent`).
    public var timeout: UInt32
    /// Persistence granularity as a prefix length (32 or 128 = per client address).
    public var netmaskPrefixLength: Int

    public init(key: IPVSServiceKey, scheduler: String = "rr", flags: IPVSServiceFlags = [],
                timeout: UInt32 = 0, netmaskPrefixLength: Int? = nil) {
        self.key = key; self.scheduler = scheduler; self.flags = flags; self.timeout = timeout
        self.netmaskPrefixLength = netmaskPrefixLength ?? (key.family == .ipv4 ? 32 : 128)
    }

    /// Writes the full service (inside IPVS_CMD_ATTR_SERVICE).
    public func encode(into w: inout NetlinkAttributeWriter) {
        key.encode(into: &w)
        w.append(IPVSNetlinkConstants.serviceSchedulerName, string: scheduler)
        // struct ip_vs_flags { __u32 flags; __u32 mask; }: the mask says which bits to set.
        w.append(IPVSNetlinkConstants.serviceFlags, u32: flags.rawValue, UInt32.max)
        w.append(IPVSNetlinkConstants.serviceTimeout, u32: timeout)
        w.append(IPVSNetlinkConstants.serviceNetmask, u32: IPVSService.netmaskValue(prefix: netmaskPrefixLength, family: key.family))
    }

    /// Reads a service from the attributes nested in IPVS_CMD_ATTR_SERVICE.
    public static func decode(_ a: NetlinkAttributes) throws -> IPVSService {
        let key = try IPVSServiceKey.decode(a)
        guard let scheduler = a.string(IPVSNetlinkConstants.serviceSchedulerName) else {
            throw NetlinkError.malformed("IPVS service \(key) without a scheduler")
        }
        let rawFlags = a[IPVSNetlinkConstants.serviceFlags].map { $0.count >= 4 ? NetlinkBytes.u32($0, at: $0.startIndex) : 0 } ?? 0
        let netmask = a.u32(IPVSNetlinkConstants.serviceNetmask) ?? UInt32.max
        return IPVSService(key: key, scheduler: scheduler,
                           flags: IPVSServiceFlags(rawValue: rawFlags & ~IPVSNetlinkConstants.serviceFlagHashed),
                           timeout: a.u32(IPVSNetlinkConstants.serviceTimeout) ?? 0,
                           netmaskPrefixLength: IPVSService.prefix(netmaskValue: netmask, family: key.family))
    }

    /// The kernel's IPVS_SVC_ATTR_NETMASK value: for IPv4 a __be32 mask (stored as raw bytes), for IPv6
    /// the prefix length as a plain u32.
    static func netmaskValue(prefix: Int, family: IPFamily) -> UInt32 {
        switch family {
        case .ipv4:
            let p = max(0, min(32, prefix))
            let mask: UInt32 = p == 0 ? 0 : ~UInt32(0) << UInt32(32 - p)
            return mask.bigEndian
        case .ipv6:
            return UInt32(max(0, min(128, prefix)))
        }
    }

    static func prefix(netmaskValue: UInt32, family: IPFamily) -> Int {
        switch family {
        case .ipv4: return (~UInt32(bigEndian: netmaskValue)).leadingZeroBitCount // ones before the first zero
        case .ipv6: return Int(netmaskValue)
        }
    }
}

/// A service as dumped by the kernel: the programmed service and its counters.
public struct IPVSServiceEntry: Hashable, Sendable {
    public var service: IPVSService
    public var stats: IPVSStats

    public init(service: IPVSService, stats: IPVSStats) { self.service = service; self.stats = stats }

    public static func decode(_ a: NetlinkAttributes) throws -> IPVSServiceEntry {
        IPVSServiceEntry(service: try IPVSService.decode(a),
                         stats: try IPVSStats.decode(from: a, stats64: IPVSNetlinkConstants.serviceStats64,
                                                     stats32: IPVSNetlinkConstants.serviceStats))
    }
}

extension IPFamily {
    /// AF_INET or AF_INET6.
    var addressFamilyNumber: UInt16 { self == .ipv4 ? AddressFamilyNumber.inet : AddressFamilyNumber.inet6 }

    init?(addressFamilyNumber n: UInt16) {
        switch n {
        case AddressFamilyNumber.inet: self = .ipv4
        case AddressFamilyNumber.inet6: self = .ipv6
        default: return nil
        }
    }
}

extension NetlinkAttributeWriter {
    /// `union nf_inet_addr` as IPVS carries it: always 16 bytes, IPv4 in the first four.
    mutating func appendIPVSAddress(_ type: UInt16, _ a: IPAddress) {
        append(type, address: a.high, a.low, isIPv4: a.family == .ipv4, width: 16)
    }
}

extension IPAddress {
    /// From `union nf_inet_addr` bytes (network order), read in place.
    init?(ipvsBytes raw: ArraySlice<UInt8>, family: IPFamily) {
        switch family {
        case .ipv4:
            guard raw.count >= 4 else { return nil }
            self.init(v4: UInt32(bigEndian: NetlinkBytes.u32(raw, at: raw.startIndex)))
        case .ipv6:
            guard raw.count >= 16 else { return nil }
            let high: UInt64 = NetlinkBytes.load(raw, at: raw.startIndex), low: UInt64 = NetlinkBytes.load(raw, at: raw.startIndex + 8)
            self.init(v6High: UInt64(bigEndian: high), low: UInt64(bigEndian: low))
        }
    }
}

extension L4Protocol {
    /// From an IP protocol number (IPVS_SVC_ATTR_PROTOCOL); nil for protocols Kubernetes has no name for.
    init?(ipProtocolNumber n: UInt16) {
        switch n {
        case 6: self = .tcp
        case 17: self = .udp
        case 132: self = .sctp
        default: return nil
        }
    }
}
