/// ipset's nfnetlink constants from linux/netfilter/nfnetlink.h and linux/netfilter/ipset/ip_set.h.
/// Values are the kernel's ABI and never change.
public enum IPSetNetlink {
    /// NETLINK_NETFILTER, the socket protocol of every nfnetlink subsystem.
    public static let protocolNetfilter: Int32 = 12
    /// NFNL_SUBSYS_IPSET: the high byte of every ipset message type.
    public static let subsystem: UInt16 = 6
    /// sizeof(struct nfgenmsg): family u8, version u8, res_id be16.
    public static let nfgenmsgLength = 4
    /// The protocol version we speak. Kernels since 2.6.39 accept 6; newer ones (IPSET_PROTOCOL 7)
    /// accept 6 as IPSET_PROTOCOL_MIN for every command used here.
    public static let protocolVersion: UInt8 = 6

    // enum ipset_cmd
    public static let commandCreate: UInt8 = 2
    public static let commandDestroy: UInt8 = 3
    public static let commandFlush: UInt8 = 4
    public static let commandSwap: UInt8 = 6
    public static let commandList: UInt8 = 7
    public static let commandAdd: UInt8 = 9
    public static let commandDelete: UInt8 = 10
    public static let commandType: UInt8 = 13

    // Command-level attributes (IPSET_ATTR_*).
    public static let attributeProtocol: UInt16 = 1
    public static let attributeSetName: UInt16 = 2
    public static let attributeTypeName: UInt16 = 3
    /// IPSET_ATTR_SETNAME2 shares TYPENAME's number (swap, rename).
    public static let attributeSetName2: UInt16 = 3
    public static let attributeRevision: UInt16 = 4
    public static let attributeFamily: UInt16 = 5
    public static let attributeFlags: UInt16 = 6
    public static let attributeData: UInt16 = 7
    public static let attributeADT: UInt16 = 8
    public static let attributeLineNumber: UInt16 = 9
    public static let attributeRevisionMin: UInt16 = 10

    // CADT attributes (inside IPSET_ATTR_DATA).
    public static let dataIP: UInt16 = 1
    public static let dataIPTo: UInt16 = 2
    public static let dataCIDR: UInt16 = 3
    public static let dataPort: UInt16 = 4
    public static let dataPortTo: UInt16 = 5
    public static let dataTimeout: UInt16 = 6
    public static let dataProtocol: UInt16 = 7
    public static let dataCADTFlags: UInt16 = 8
    // Create-only.
    public static let dataHashSize: UInt16 = 18
    public static let dataMaxElements: UInt16 = 19
    // Kernel-only (list header).
    public static let dataElements: UInt16 = 24
    public static let dataReferences: UInt16 = 25
    // ADT-only.
    public static let dataIP2: UInt16 = 20
    public static let dataCIDR2: UInt16 = 21

    // Inside IPSET_ATTR_IP / IPSET_ATTR_IP2.
    public static let addressIPv4: UInt16 = 1
    public static let addressIPv6: UInt16 = 2

    /// NFPROTO_UNSPEC / NFPROTO_IPV4 / NFPROTO_IPV6 (IPSET_ATTR_FAMILY).
    public static let familyUnspecified: UInt8 = 0
    public static let familyIPv4: UInt8 = 2
    public static let familyIPv6: UInt8 = 10

    /// IPSET_FLAG_LIST_SETNAME (dump only the names) in IPSET_ATTR_FLAGS of a list request.
    public static let listFlagSetNameOnly: UInt32 = 1 << 1

    /// The message type of `command`: (NFNL_SUBSYS_IPSET << 8) | command.
    public static func messageType(_ command: UInt8) -> UInt16 { subsystem << 8 | UInt16(command) }

    /// Text for ipset's private errnos (IPSET_ERR_*, 4097…); nil for ordinary errnos.
    public static func describe(_ errno: Int32) -> String? {
        switch errno {
        case 4097: return "ipset protocol error"
        case 4098: return "set type not supported by the kernel"
        case 4099: return "no more sets can be created"
        case 4100: return "set is in use"
        case 4101: return "second set does not exist"
        case 4102: return "sets have different types"
        case 4103: return "element or set already exists"
        case 4104: return "invalid CIDR"
        case 4105: return "invalid netmask"
        case 4106: return "invalid family"
        case 4108: return "set is referenced"
        case 4109: return "invalid IPv4 address"
        case 4110: return "invalid IPv6 address"
        case 4352...4400: return "set-type specific error"
        default: return nil
        }
    }
}
