/// IPVS connection timeouts in seconds (IPVS_CMD_ATTR_TIMEOUT_*). When setting, 0 leaves a value unchanged.
public struct IPVSConfig: Hashable, Sendable {
    public var tcpTimeout: UInt32
    public var tcpFinTimeout: UInt32
    public var udpTimeout: UInt32

    public init(tcpTimeout: UInt32 = 0, tcpFinTimeout: UInt32 = 0, udpTimeout: UInt32 = 0) {
        self.tcpTimeout = tcpTimeout; self.tcpFinTimeout = tcpFinTimeout; self.udpTimeout = udpTimeout
    }

    /// Writes the three top-level timeout attributes.
    public func encode(into w: inout NetlinkAttributeWriter) {
        w.append(IPVSNetlinkConstants.attributeTimeoutTCP, u32: tcpTimeout)
        w.append(IPVSNetlinkConstants.attributeTimeoutTCPFin, u32: tcpFinTimeout)
        w.append(IPVSNetlinkConstants.attributeTimeoutUDP, u32: udpTimeout)
    }

    public static func decode(_ a: NetlinkAttributes) -> IPVSConfig {
        IPVSConfig(tcpTimeout: a.u32(IPVSNetlinkConstants.attributeTimeoutTCP) ?? 0,
                   tcpFinTimeout: a.u32(IPVSNetlinkConstants.attributeTimeoutTCPFin) ?? 0,
                   udpTimeout: a.u32(IPVSNetlinkConstants.attributeTimeoutUDP) ?? 0)
    }
}
