import Model
import SwitchyardCore

/// Identity of an IPVS virtual service: protocol, address and port, or a firewall mark.
public enum IPVSServiceKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// A `-t`/`-u`/`--sctp-service` virtual service on `address:port`.
    case inet(proto: L4Protocol, address: IPAddress, port: UInt16)
    /// A `-f` (fwmark) virtual service. The renderer does not create these today; the type,
    /// the operations and the text support them so an applier or a later feature can.
    case fwmark(family: IPFamily, mark: UInt32)

    /// The address family of the service.
    public var family: IPFamily {
        switch self {
        case .inet(_, let address, _): return address.family
        case .fwmark(let family, _): return family
        }
    }

    /// The address of an `.inet` service (nil for fwmark services).
    public var address: IPAddress? {
        if case .inet(_, let address, _) = self { return address }
        return nil
    }

    /// ipvsadm's service selector: `-t 10.96.0.10:53`, `-u [fd00::1]:53`, `--sctp-service …`, `-f 5`.
    public var ipvsadmSelector: String {
        var w = ASCIIBuffer(capacity: 32)
        w.write(selector: self)
        return w.string
    }

    public var description: String { ipvsadmSelector }

    /// `ip:port` or `[ip]:port`.
    static func hostPort(_ ip: IPAddress, _ port: UInt16) -> String {
        var w = ASCIIBuffer(capacity: 24)
        w.write(bracketed: ip, port: port)
        return w.string
    }

    public static func < (a: IPVSServiceKey, b: IPVSServiceKey) -> Bool {
        switch (a, b) {
        case let (.inet(pa, aa, qa), .inet(pb, ab, qb)):
            if aa != ab { return aa < ab }
            if qa != qb { return qa < qb }
            return pa < pb
        case (.inet, .fwmark): return true
        case (.fwmark, .inet): return false
        case let (.fwmark(fa, ma), .fwmark(fb, mb)):
            return fa != fb ? fa < fb : ma < mb
        }
    }
}

/// Virtual service flags (`IP_VS_SVC_F_*` in linux/ip_vs.h).
public struct IPVSServiceFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `IP_VS_SVC_F_PERSISTENT`: ClientIP session affinity.
    public static let persistent = IPVSServiceFlags(rawValue: 0x0001)
    /// `IP_VS_SVC_F_HASHED`: set by the kernel, never requested.
    public static let hashed = IPVSServiceFlags(rawValue: 0x0002)
    /// `IP_VS_SVC_F_ONEPACKET`.
    public static let onePacket = IPVSServiceFlags(rawValue: 0x0004)
    /// `IP_VS_SVC_F_SCHED1` (sh-fallback / mh-fallback).
    public static let sched1 = IPVSServiceFlags(rawValue: 0x0008)
    /// `IP_VS_SVC_F_SCHED2` (sh-port / mh-port); kube-proxy sets it for the `mh` scheduler.
    public static let sched2 = IPVSServiceFlags(rawValue: 0x0010)
    /// `IP_VS_SVC_F_SCHED3`.
    public static let sched3 = IPVSServiceFlags(rawValue: 0x0020)
}

/// The header of a virtual service: everything `IPVS_CMD_NEW_SERVICE` / `SET_SERVICE` carries.
public struct IPVSService: Hashable, Sendable {
    public var key: IPVSServiceKey
    /// Scheduler name (`rr`, `wrr`, `lc`, `sh`, `mh`, …).
    public var scheduler: String
    public var flags: IPVSServiceFlags
    /// Persistence timeout in seconds (ClientIP affinity); 0 without persistence.
    public var timeout: UInt32
    /// Persistence netmask as a prefix length: 32 for IPv4, 128 for IPv6.
    public var netmaskPrefix: Int

    public init(key: IPVSServiceKey, scheduler: String, flags: IPVSServiceFlags = [], timeout: UInt32 = 0) {
        self.key = key; self.scheduler = scheduler; self.flags = flags; self.timeout = timeout
        self.netmaskPrefix = key.family == .ipv4 ? 32 : 128
    }

    /// `-A -t 10.96.0.10:53 -s rr [-p 10800] [-b mh-port]` (ipvsadm-save style).
    public var ipvsadmLine: String {
        var w = ASCIIBuffer(capacity: 48)
        w.write(serviceLine: self)
        return w.string
    }
}

/// How IPVS forwards to a real server.
public enum IPVSForwarding: String, Hashable, Sendable {
    /// NAT (`-m`): the only method kube-proxy and Switchyard use.
    case masquerade
    /// IP-in-IP (`-i`).
    case tunnel
    /// Direct routing (`-g`).
    case direct

    var ipvsadmFlag: String {
        switch self {
        case .masquerade: return "-m"
        case .tunnel: return "-i"
        case .direct: return "-g"
        }
    }
}

/// A real server of a virtual service.
public struct IPVSDestination: Hashable, Sendable, Comparable {
    public var address: IPAddress
    public var port: UInt16
    public var weight: UInt32
    public var forwarding: IPVSForwarding

    public init(address: IPAddress, port: UInt16, weight: UInt32 = 1, forwarding: IPVSForwarding = .masquerade) {
        self.address = address; self.port = port; self.weight = weight; self.forwarding = forwarding
    }

    /// A real server's identity within its service.
    public var key: IPVSDestinationKey { IPVSDestinationKey(address: address, port: port) }

    public static func < (a: IPVSDestination, b: IPVSDestination) -> Bool { a.key < b.key }
}

/// Address and port of a real server: its identity within one virtual service.
public struct IPVSDestinationKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public init(address: IPAddress, port: UInt16) { self.address = address; self.port = port }
    public var description: String { IPVSServiceKey.hostPort(address, port) }
    public static func < (a: IPVSDestinationKey, b: IPVSDestinationKey) -> Bool {
        a.address != b.address ? a.address < b.address : a.port < b.port
    }
}

/// A virtual service with its real servers, and the service port it was rendered for.
public struct IPVSVirtualServer: Hashable, Sendable {
    public var service: IPVSService
    /// Real servers, sorted, unique by address and port.
    public var destinations: [IPVSDestination]
    /// The service port this virtual server serves (for readable output).
    public var origin: ServicePortKey?

    public init(service: IPVSService, destinations: [IPVSDestination], origin: ServicePortKey? = nil) {
        self.service = service; self.origin = origin
        // The model hands endpoints over sorted and unique: then there is nothing to sort or hash.
        if Self.isStrictlySorted(destinations) {
            self.destinations = destinations
        } else {
            var seen = Set<IPVSDestinationKey>()
            self.destinations = destinations.sorted().filter { seen.insert($0.key).inserted }
        }
    }

    /// Each key greater than the one before (so sorted and unique by key).
    private static func isStrictlySorted(_ d: [IPVSDestination]) -> Bool {
        var i = 1
        while i < d.count {
            if !(d[i - 1].key < d[i].key) { return false }
            i += 1
        }
        return true
    }

    public var key: IPVSServiceKey { service.key }

    /// ipvsadm `-a` line for one real server of this service.
    public static func destinationLine(_ key: IPVSServiceKey, _ d: IPVSDestination) -> String {
        "-a \(key.ipvsadmSelector) -r \(d.key) \(d.forwarding.ipvsadmFlag) -w \(d.weight)"
    }
}
