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
    static func decode(_ a: NetlinkAttributes) throws -> IPVSServiceKey { try decode(IPVSServiceFields(a.bytes)) }

    static func decode(_ f: IPVSServiceFields) throws -> IPVSServiceKey {
        guard let af = f.family, let family = IPFamily(addressFamilyNumber: af) else {
            throw NetlinkError.malformed("IPVS service without a known address family")
        }
        if let mark = f.firewallMark, mark != 0 {
            return .firewallMark(mark, family: family)
        }
        guard let number = f.proto, let proto = L4Protocol(ipProtocolNumber: number),
              let raw = f.address, let address = IPAddress(ipvsBytes: raw, family: family), let port = f.port else {
            throw NetlinkError.malformed("IPVS service without protocol, address or port")
        }
        return .address(protocol: proto, address: address, port: port)
    }
}

/// The attributes of one IPVS_CMD_ATTR_SERVICE nest, found in one walk (later duplicates win).
/// Dumps decode thousands of these; no table is built.
struct IPVSServiceFields {
    var family: UInt16?, proto: UInt16?, address: ArraySlice<UInt8>?, port: UInt16?, firewallMark: UInt32?
    var scheduler: ArraySlice<UInt8>?, flags: UInt32?, timeout: UInt32?, netmask: UInt32?
    var stats: ArraySlice<UInt8>?, stats64: ArraySlice<UInt8>?

    init(_ bytes: ArraySlice<UInt8>) throws {
        let c = IPVSNetlinkConstants.self
        try NetlinkAttributes.forEach(in: bytes) { type, p in
            let s = p.startIndex
            switch type {
            case c.serviceAddressFamily where p.count >= 2: family = NetlinkBytes.u16(p, at: s)
            case c.serviceProtocol where p.count >= 2: proto = NetlinkBytes.u16(p, at: s)
            case c.serviceAddress: address = p
            case c.servicePort where p.count >= 2: port = UInt16(bigEndian: NetlinkBytes.u16(p, at: s))
            case c.serviceFirewallMark where p.count >= 4: firewallMark = NetlinkBytes.u32(p, at: s)
            case c.serviceSchedulerName: scheduler = p
            case c.serviceFlags where p.count >= 4: flags = NetlinkBytes.u32(p, at: s)
            case c.serviceTimeout where p.count >= 4: timeout = NetlinkBytes.u32(p, at: s)
            case c.serviceNetmask where p.count >= 4: netmask = NetlinkBytes.u32(p, at: s)
            case c.serviceStats: stats = p
            case c.serviceStats64: stats64 = p
            default: break
            }
        }
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
    public static func decode(_ a: NetlinkAttributes) throws -> IPVSService { try decode(IPVSServiceFields(a.bytes)) }

    static func decode(_ f: IPVSServiceFields) throws -> IPVSService {
        let key = try IPVSServiceKey.decode(f)
        guard let raw = f.scheduler else { throw NetlinkError.malformed("IPVS service \(key) without a scheduler") }
        let scheduler = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        return IPVSService(key: key, scheduler: scheduler,
                           flags: IPVSServiceFlags(rawValue: (f.flags ?? 0) & ~IPVSNetlinkConstants.serviceFlagHashed),
                           timeout: f.timeout ?? 0,
                           netmaskPrefixLength: IPVSService.prefix(netmaskValue: f.netmask ?? UInt32.max, family: key.family))
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

    public static func decode(_ a: NetlinkAttributes) throws -> IPVSServiceEntry { try decode(nest: a.bytes) }

    /// From the bytes of an IPVS_CMD_ATTR_SERVICE nest, in one walk (the dump path).
    static func decode(nest: ArraySlice<UInt8>) throws -> IPVSServiceEntry {
        let f = try IPVSServiceFields(nest)
        let stats = try f.stats64.map { try IPVSStats.decode($0, wide: true) } ?? f.stats.map { try IPVSStats.decode($0, wide: false) } ?? IPVSStats()
        return IPVSServiceEntry(service: try IPVSService.decode(f), stats: stats)
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
            let high = NetlinkBytes.u64(raw, at: raw.startIndex), low = NetlinkBytes.u64(raw, at: raw.startIndex + 8)
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
