import Testing
import SwitchyardCore
@testable import IPVSNetlink

/// Full messages written byte by byte from the uapi layout (linux/netlink.h, genetlink.h, ip_vs.h).
/// Multi-byte host-order fields are little-endian here (x86_64, arm64).
@Suite struct IPVSGoldenMessageTests {
    static let family: UInt16 = 0x1c
    static let key = IPVSServiceKey.address(protocol: .tcp, address: IPAddress("10.96.0.1")!, port: 80)

    func framed(_ command: IPVSCommand, sequence: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        command.request(family: Self.family).frame(sequence: sequence, extraFlags: Netlink.flagAck, into: &out)
        return out
    }

    /// The four attributes identifying TCP 10.96.0.1:80 (44 bytes).
    static let serviceKeyBytes: [UInt8] = [
        6, 0, 1, 0, 2, 0, 0, 0,                           // IPVS_SVC_ATTR_AF (1): u16 AF_INET = 2, 2 pad
        6, 0, 2, 0, 6, 0, 0, 0,                           // IPVS_SVC_ATTR_PROTOCOL (2): u16 IPPROTO_TCP = 6, 2 pad
        20, 0, 3, 0, 10, 96, 0, 1, 0, 0, 0, 0,            // IPVS_SVC_ATTR_ADDR (3): nf_inet_addr, 16 bytes,
        0, 0, 0, 0, 0, 0, 0, 0,                           //   IPv4 in the first four, rest zero
        6, 0, 4, 0, 0, 80, 0, 0,                          // IPVS_SVC_ATTR_PORT (4): __be16 80, 2 pad
    ]

    @Test func newServiceMessage() {
        let service = IPVSService(key: Self.key, scheduler: "rr")
        let expected: [UInt8] = [
            104, 0, 0, 0,                                 // nlmsg_len = 16 + 4 + 84
            0x1c, 0,                                      // nlmsg_type = the IPVS family id
            0x05, 0,                                      // nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK
            7, 0, 0, 0,                                   // nlmsg_seq = 7
            0, 0, 0, 0,                                   // nlmsg_pid = 0 (kernel)
            1, 1, 0, 0,                                   // genlmsghdr: cmd IPVS_CMD_NEW_SERVICE, version 1, reserved
            84, 0, 1, 0,                                  // IPVS_CMD_ATTR_SERVICE (1), nested, 4 + 80
        ] + Self.serviceKeyBytes + [
            7, 0, 6, 0, 0x72, 0x72, 0, 0,                 // IPVS_SVC_ATTR_SCHED_NAME (6): "rr\0", 1 pad
            12, 0, 7, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, // IPVS_SVC_ATTR_FLAGS (7): ip_vs_flags {flags 0, mask ~0}
            8, 0, 8, 0, 0, 0, 0, 0,                       // IPVS_SVC_ATTR_TIMEOUT (8): u32 0
            8, 0, 9, 0, 0xff, 0xff, 0xff, 0xff,           // IPVS_SVC_ATTR_NETMASK (9): __be32 255.255.255.255
        ]
        #expect(framed(.newService(service), sequence: 7) == expected)
    }

    @Test func newDestinationMessage() {
        let destination = IPVSDestination(address: IPAddress("10.244.1.5")!, port: 8080, weight: 3)
        let expected: [UInt8] = [
            140, 0, 0, 0,                                 // nlmsg_len = 16 + 4 + 48 + 72
            0x1c, 0, 0x05, 0, 1, 0, 0, 0, 0, 0, 0, 0,     // type, REQUEST|ACK, seq 1, pid 0
            5, 1, 0, 0,                                   // genlmsghdr: cmd IPVS_CMD_NEW_DEST, version 1
            48, 0, 1, 0,                                  // IPVS_CMD_ATTR_SERVICE (1): 4 + 44, the key only
        ] + Self.serviceKeyBytes + [
            72, 0, 2, 0,                                  // IPVS_CMD_ATTR_DEST (2): 4 + 68
            6, 0, 11, 0, 2, 0, 0, 0,                      // IPVS_DEST_ATTR_ADDR_FAMILY (11): u16 AF_INET
            20, 0, 1, 0, 10, 244, 1, 5,                   // IPVS_DEST_ATTR_ADDR (1): 16 bytes
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            6, 0, 2, 0, 0x1f, 0x90, 0, 0,                 // IPVS_DEST_ATTR_PORT (2): __be16 8080
            8, 0, 3, 0, 0, 0, 0, 0,                       // IPVS_DEST_ATTR_FWD_METHOD (3): IP_VS_CONN_F_MASQ
            8, 0, 4, 0, 3, 0, 0, 0,                       // IPVS_DEST_ATTR_WEIGHT (4): 3
            8, 0, 5, 0, 0, 0, 0, 0,                       // IPVS_DEST_ATTR_U_THRESH (5): 0
            8, 0, 6, 0, 0, 0, 0, 0,                       // IPVS_DEST_ATTR_L_THRESH (6): 0
        ]
        #expect(framed(.newDestination(Self.key, destination), sequence: 1) == expected)
    }

    @Test func deleteDestinationCarriesOnlyTheKey() throws {
        let d = IPVSDestination(address: IPAddress("10.244.1.5")!, port: 8080, weight: 3)
        let request = IPVSCommand.deleteDestination(Self.key, d).request(family: Self.family)
        let attributes = try NetlinkAttributes(request.payload[4...])
        let nest = try #require(try attributes.nested(IPVSNetlinkConstants.attributeDestination))
        #expect(nest.types == [1, 2, 11])
        #expect(request.payload[0] == IPVSNetlinkConstants.commandDeleteDestination)
    }

    @Test func flushHasNoAttributes() {
        let request = IPVSCommand.flush.request(family: Self.family)
        #expect(request.payload == [IPVSNetlinkConstants.commandFlush, 1, 0, 0])
    }

    @Test func familyLookupMessage() {
        var out: [UInt8] = []
        GenericNetlinkFamily.lookupRequest(name: "IPVS").frame(sequence: 2, extraFlags: Netlink.flagAck, into: &out)
        let expected: [UInt8] = [
            32, 0, 0, 0, 0x10, 0, 0x05, 0, 2, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: GENL_ID_CTRL, REQUEST|ACK, seq 2
            3, 2, 0, 0,                                   // CTRL_CMD_GETFAMILY, controller version 2
            9, 0, 2, 0, 0x49, 0x50, 0x56, 0x53, 0, 0, 0, 0, // CTRL_ATTR_FAMILY_NAME "IPVS\0", 3 pad
        ]
        #expect(out == expected)
    }
}
