/// Netlink, generic-netlink and rtnetlink constants from the kernel uapi headers
/// (linux/netlink.h, linux/genetlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h).
/// Values are the kernel's ABI and never change.
public enum Netlink {
    // Socket protocols (linux/netlink.h).
    public static let protocolRoute: Int32 = 0          // NETLINK_ROUTE
    public static let protocolGeneric: Int32 = 16       // NETLINK_GENERIC
    public static let solNetlink: Int32 = 270           // SOL_NETLINK
    public static let optionCapAck: Int32 = 10          // NETLINK_CAP_ACK
    public static let optionExtAck: Int32 = 11          // NETLINK_EXT_ACK

    /// sizeof(struct nlmsghdr): len u32, type u16, flags u16, seq u32, pid u32.
    public static let headerLength = 16
    /// NLMSG_ALIGNTO and NLA_ALIGNTO.
    public static let alignment = 4
    /// sizeof(struct nlattr): len u16, type u16.
    public static let attributeHeaderLength = 4

    // Control message types.
    public static let messageNoop: UInt16 = 1           // NLMSG_NOOP
    public static let messageError: UInt16 = 2          // NLMSG_ERROR
    public static let messageDone: UInt16 = 3           // NLMSG_DONE
    public static let messageOverrun: UInt16 = 4        // NLMSG_OVERRUN
    public static let minimumType: UInt16 = 0x10        // NLMSG_MIN_TYPE

    // nlmsghdr flags.
    public static let flagRequest: UInt16 = 0x01        // NLM_F_REQUEST
    public static let flagMulti: UInt16 = 0x02          // NLM_F_MULTI
    public static let flagAck: UInt16 = 0x04            // NLM_F_ACK
    public static let flagDumpInterrupted: UInt16 = 0x10 // NLM_F_DUMP_INTR
    public static let flagDump: UInt16 = 0x300          // NLM_F_ROOT | NLM_F_MATCH
    public static let flagReplace: UInt16 = 0x100       // NLM_F_REPLACE
    public static let flagExclusive: UInt16 = 0x200     // NLM_F_EXCL
    public static let flagCreate: UInt16 = 0x400        // NLM_F_CREATE
    /// In an NLMSG_ERROR: the error carries extended-ACK TLVs.
    public static let flagAckTLVs: UInt16 = 0x200       // NLM_F_ACK_TLVS
    /// In an NLMSG_ERROR: the echoed request was capped to its header.
    public static let flagCapped: UInt16 = 0x100        // NLM_F_CAPPED

    // Extended ACK attributes (enum nlmsgerr_attrs).
    public static let errorAttributeMessage: UInt16 = 1 // NLMSGERR_ATTR_MSG
    public static let errorAttributeOffset: UInt16 = 2  // NLMSGERR_ATTR_OFFS

    // nlattr type bits.
    public static let attributeNested: UInt16 = 0x8000  // NLA_F_NESTED
    public static let attributeNetByteOrder: UInt16 = 0x4000 // NLA_F_NET_BYTEORDER
    public static let attributeTypeMask: UInt16 = 0x3fff

    /// Rounds `length` up to the 4-byte netlink alignment (NLMSG_ALIGN / NLA_ALIGN).
    @inlinable
    public static func align(_ length: Int) -> Int { (length + alignment - 1) & ~(alignment - 1) }
}

/// Generic netlink (linux/genetlink.h).
public enum GenericNetlink {
    /// sizeof(struct genlmsghdr): cmd u8, version u8, reserved u16.
    public static let headerLength = 4
    /// GENL_ID_CTRL: the controller family's fixed id.
    public static let controllerFamily: UInt16 = 0x10
    public static let controllerVersion: UInt8 = 2
    public static let commandGetFamily: UInt8 = 3       // CTRL_CMD_GETFAMILY
    public static let attributeFamilyID: UInt16 = 1     // CTRL_ATTR_FAMILY_ID
    public static let attributeFamilyName: UInt16 = 2   // CTRL_ATTR_FAMILY_NAME
    public static let attributeVersion: UInt16 = 3      // CTRL_ATTR_VERSION
}

/// rtnetlink (linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h).
public enum RouteNetlink {
    public static let newLink: UInt16 = 16              // RTM_NEWLINK
    public static let deleteLink: UInt16 = 17           // RTM_DELLINK
    public static let getLink: UInt16 = 18              // RTM_GETLINK
    public static let newAddress: UInt16 = 20           // RTM_NEWADDR
    public static let deleteAddress: UInt16 = 21        // RTM_DELADDR
    public static let getAddress: UInt16 = 22           // RTM_GETADDR

    /// sizeof(struct ifinfomsg): family u8, pad u8, type u16, index i32, flags u32, change u32.
    public static let ifinfomsgLength = 16
    /// sizeof(struct ifaddrmsg): family u8, prefixlen u8, flags u8, scope u8, index u32.
    public static let ifaddrmsgLength = 8

    public static let linkAttributeName: UInt16 = 3     // IFLA_IFNAME
    public static let linkAttributeInfo: UInt16 = 18    // IFLA_LINKINFO
    public static let linkInfoKind: UInt16 = 1          // IFLA_INFO_KIND

    public static let addressAttributeAddress: UInt16 = 1 // IFA_ADDRESS
    public static let addressAttributeLocal: UInt16 = 2   // IFA_LOCAL
    public static let addressFlagNoDAD: UInt8 = 0x02      // IFA_F_NODAD
    public static let scopeUniverse: UInt8 = 0            // RT_SCOPE_UNIVERSE
    public static let scopeHost: UInt8 = 254              // RT_SCOPE_HOST

    public static let newRoute: UInt16 = 24             // RTM_NEWROUTE
    public static let deleteRoute: UInt16 = 25          // RTM_DELROUTE
    public static let getRoute: UInt16 = 26             // RTM_GETROUTE
    /// sizeof(struct rtmsg): family, dst_len, src_len, tos, table, protocol, scope, type (u8 each), flags u32.
    public static let rtmsgLength = 12
    public static let routeAttributeDestination: UInt16 = 1 // RTA_DST
    public static let routeAttributeOutputInterface: UInt16 = 4 // RTA_OIF
    public static let routeAttributeTable: UInt16 = 15  // RTA_TABLE
    public static let tableLocal: UInt8 = 255           // RT_TABLE_LOCAL
    public static let routeTypeLocal: UInt8 = 2         // RTN_LOCAL
}

/// Socket address families as the kernel numbers them.
public enum AddressFamilyNumber {
    public static let unspecified: UInt16 = 0           // AF_UNSPEC
    public static let inet: UInt16 = 2                  // AF_INET
    public static let inet6: UInt16 = 10                // AF_INET6
}
