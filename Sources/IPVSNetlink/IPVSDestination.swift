import SwitchyardCore

/// How IPVS forwards to a real server (IP_VS_CONN_F_* forwarding bits).
public enum IPVSForwardingMethod: UInt32, Hashable, Sendable, CaseIterable {
    /// NAT: what kube-proxy uses.
    case masquerade = 0
    case localNode = 1
    case tunnel = 2
    case directRoute = 3
}

/// A real server of a virtual service, as programmed.
public struct IPVSDestination: Hashable, Sendable {
    public var address: IPAddress
    public var port: UInt16
    public var forwardingMethod: IPVSForwardingMethod
    public var weight: Int32
    /// Upper connection threshold (0 = none).
    public var upperThreshold: UInt32
    /// Lower connection threshold (0 = none).
    public var lowerThreshold: UInt32

    public init(address: IPAddress, port: UInt16, forwardingMethod: IPVSForwardingMethod = .masquerade,
                weight: Int32 = 1, upperThreshold: UInt32 = 0, lowerThreshold: UInt32 = 0) {
        self.address = address; self.port = port; self.forwardingMethod = forwardingMethod
        self.weight = weight; self.upperThreshold = upperThreshold; self.lowerThreshold = lowerThreshold
    }

    /// The address family (IPVS_DEST_ATTR_ADDR_FAMILY): a destination may differ from its service's.
    public var family: IPFamily { address.family }

    /// Writes the identifying attributes only (enough for delete).
    func encodeKey(into w: inout NetlinkAttributeWriter) {
        w.append(IPVSNetlinkConstants.destinationAddressFamily, u16: family.addressFamilyNumber)
        w.appendIPVSAddress(IPVSNetlinkConstants.destinationAddress, address)
        w.append(IPVSNetlinkConstants.destinationPort, be16: port)
    }

    /// Writes the full destination (inside IPVS_CMD_ATTR_DEST).
    public func encode(into w: inout NetlinkAttributeWriter) {
        encodeKey(into: &w)
        w.append(IPVSNetlinkConstants.destinationForwardingMethod, u32: forwardingMethod.rawValue)
        w.append(IPVSNetlinkConstants.destinationWeight, u32: UInt32(bitPattern: weight))
        w.append(IPVSNetlinkConstants.destinationUpperThreshold, u32: upperThreshold)
        w.append(IPVSNetlinkConstants.destinationLowerThreshold, u32: lowerThreshold)
    }

    /// Reads a destination from the attributes nested in IPVS_CMD_ATTR_DEST. Without
    /// IPVS_DEST_ATTR_ADDR_FAMILY (kernels before 4.x) the service's family is assumed.
    public static func decode(_ a: NetlinkAttributes, serviceFamily: IPFamily = .ipv4) throws -> IPVSDestination {
        let family = a.u16(IPVSNetlinkConstants.destinationAddressFamily).flatMap { IPFamily(addressFamilyNumber: $0) } ?? serviceFamily
        guard let raw = a[IPVSNetlinkConstants.destinationAddress], let address = IPAddress(ipvsBytes: raw, family: family),
              let port = a.be16(IPVSNetlinkConstants.destinationPort) else {
            throw NetlinkError.malformed("IPVS destination without address or port")
        }
        let method = (a.u32(IPVSNetlinkConstants.destinationForwardingMethod) ?? 0) & IPVSNetlinkConstants.forwardMask
        return IPVSDestination(
            address: address, port: port,
            forwardingMethod: IPVSForwardingMethod(rawValue: method) ?? .masquerade,
            weight: Int32(bitPattern: a.u32(IPVSNetlinkConstants.destinationWeight) ?? 0),
            upperThreshold: a.u32(IPVSNetlinkConstants.destinationUpperThreshold) ?? 0,
            lowerThreshold: a.u32(IPVSNetlinkConstants.destinationLowerThreshold) ?? 0)
    }
}

/// A destination as dumped by the kernel: the programmed values plus connection counts and counters.
public struct IPVSDestinationEntry: Hashable, Sendable {
    public var destination: IPVSDestination
    public var activeConnections: UInt32
    public var inactiveConnections: UInt32
    public var persistentConnections: UInt32
    public var stats: IPVSStats

    public init(destination: IPVSDestination, activeConnections: UInt32 = 0, inactiveConnections: UInt32 = 0,
                persistentConnections: UInt32 = 0, stats: IPVSStats = .init()) {
        self.destination = destination; self.activeConnections = activeConnections
        self.inactiveConnections = inactiveConnections; self.persistentConnections = persistentConnections
        self.stats = stats
    }

    /// Writes everything the kernel sends in a dump (used by tests and fakes).
    public func encode(into w: inout NetlinkAttributeWriter) {
        destination.encode(into: &w)
        w.append(IPVSNetlinkConstants.destinationActiveConnections, u32: activeConnections)
        w.append(IPVSNetlinkConstants.destinationInactiveConnections, u32: inactiveConnections)
        w.append(IPVSNetlinkConstants.destinationPersistentConnections, u32: persistentConnections)
        w.nested(IPVSNetlinkConstants.destinationStats64) { stats.encode64(into: &$0) }
    }

    public static func decode(_ a: NetlinkAttributes, serviceFamily: IPFamily = .ipv4) throws -> IPVSDestinationEntry {
        IPVSDestinationEntry(
            destination: try IPVSDestination.decode(a, serviceFamily: serviceFamily),
            activeConnections: a.u32(IPVSNetlinkConstants.destinationActiveConnections) ?? 0,
            inactiveConnections: a.u32(IPVSNetlinkConstants.destinationInactiveConnections) ?? 0,
            persistentConnections: a.u32(IPVSNetlinkConstants.destinationPersistentConnections) ?? 0,
            stats: try IPVSStats.decode(from: a, stats64: IPVSNetlinkConstants.destinationStats64,
                                        stats32: IPVSNetlinkConstants.destinationStats))
    }
}
