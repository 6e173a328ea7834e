/// IPVS generic-netlink constants from linux/ip_vs.h. Values are the kernel's ABI.
public enum IPVSNetlinkConstants {
    /// IPVS_GENL_NAME, the generic-netlink family name resolved with CTRL_CMD_GETFAMILY.
    public static let familyName = "IPVS"
    /// IPVS_GENL_VERSION.
    public static let version: UInt8 = 1
    /// IP_VS_SCHEDNAME_MAXLEN, including the terminating NUL.
    public static let schedulerNameMaxLength = 16

    // enum IPVS_CMD_*
    public static let commandNewService: UInt8 = 1
    public static let commandSetService: UInt8 = 2
    public static let commandDeleteService: UInt8 = 3
    public static let commandGetService: UInt8 = 4
    public static let commandNewDestination: UInt8 = 5
    public static let commandSetDestination: UInt8 = 6
    public static let commandDeleteDestination: UInt8 = 7
    public static let commandGetDestination: UInt8 = 8
    public static let commandSetConfig: UInt8 = 12
    public static let commandGetConfig: UInt8 = 13
    public static let commandGetInfo: UInt8 = 15
    public static let commandZero: UInt8 = 16
    public static let commandFlush: UInt8 = 17

    // enum IPVS_CMD_ATTR_*
    public static let attributeService: UInt16 = 1
    public static let attributeDestination: UInt16 = 2
    public static let attributeTimeoutTCP: UInt16 = 4
    public static let attributeTimeoutTCPFin: UInt16 = 5
    public static let attributeTimeoutUDP: UInt16 = 6

    // enum IPVS_SVC_ATTR_*
    public static let serviceAddressFamily: UInt16 = 1
    public static let serviceProtocol: UInt16 = 2
    public static let serviceAddress: UInt16 = 3
    public static let servicePort: UInt16 = 4
    public static let serviceFirewallMark: UInt16 = 5
    public static let serviceSchedulerName: UInt16 = 6
    public static let serviceFlags: UInt16 = 7
    public static let serviceTimeout: UInt16 = 8
    public static let serviceNetmask: UInt16 = 9
    public static let serviceStats: UInt16 = 10
    public static let servicePersistenceEngine: UInt16 = 11
    public static let serviceStats64: UInt16 = 12

    // enum IPVS_DEST_ATTR_*
    public static let destinationAddress: UInt16 = 1
    public static let destinationPort: UInt16 = 2
    public static let destinationForwardingMethod: UInt16 = 3
    public static let destinationWeight: UInt16 = 4
    public static let destinationUpperThreshold: UInt16 = 5
    public static let destinationLowerThreshold: UInt16 = 6
    public static let destinationActiveConnections: UInt16 = 7
    public static let destinationInactiveConnections: UInt16 = 8
    public static let destinationPersistentConnections: UInt16 = 9
    public static let destinationStats: UInt16 = 10
    public static let destinationAddressFamily: UInt16 = 11
    public static let destinationStats64: UInt16 = 12

    // enum IPVS_STATS_ATTR_*
    public static let statsConnections: UInt16 = 1
    public static let statsInPackets: UInt16 = 2
    public static let statsOutPackets: UInt16 = 3
    public static let statsInBytes: UInt16 = 4
    public static let statsOutBytes: UInt16 = 5
    public static let statsConnectionRate: UInt16 = 6
    public static let statsInPacketRate: UInt16 = 7
    public static let statsOutPacketRate: UInt16 = 8
    public static let statsInByteRate: UInt16 = 9
    public static let statsOutByteRate: UInt16 = 10

    // Service flags (IP_VS_SVC_F_*).
    public static let serviceFlagPersistent: UInt32 = 0x0001
    public static let serviceFlagHashed: UInt32 = 0x0002
    public static let serviceFlagOnePacket: UInt32 = 0x0004
    public static let serviceFlagSched1: UInt32 = 0x0008
    public static let serviceFlagSched2: UInt32 = 0x0010
    public static let serviceFlagSched3: UInt32 = 0x0020

    // Forwarding methods (IP_VS_CONN_F_*), IPVS_DEST_ATTR_FWD_METHOD values.
    public static let forwardMasquerade: UInt32 = 0
    public static let forwardLocalNode: UInt32 = 1
    public static let forwardTunnel: UInt32 = 2
    public static let forwardDirectRoute: UInt32 = 3
    public static let forwardMask: UInt32 = 0x0007
}
