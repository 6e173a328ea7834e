import Testing
@testable import IPVSNetlink

/// Builders for kernel-side messages, shared with the fake transport.
enum KernelMessages {
    static func header(length: Int, type: UInt16, flags: UInt16, sequence: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        NetlinkBytes.append(UInt32(length), to: &out)
        NetlinkBytes.append(type, to: &out)
        NetlinkBytes.append(flags, to: &out)
        NetlinkBytes.append(sequence, to: &out)
        NetlinkBytes.append(UInt32(1234), to: &out)
        return out
    }

    /// An NLMSG_ERROR as a NETLINK_CAP_ACK socket receives it, optionally with an extended-ACK message.
    static func ack(sequence: UInt32, errno: Int32, requestType: UInt16 = 0x1c, message: String? = nil) -> [UInt8] {
        var body: [UInt8] = []
        NetlinkBytes.append(-errno, to: &body)
        body += header(length: 36, type: requestType, flags: Netlink.flagRequest, sequence: sequence)
        var flags: UInt16 = Netlink.flagCapped
        if let message {
            var w = NetlinkAttributeWriter()
            w.append(Netlink.errorAttributeMessage, string: message)
            body += w.bytes
            flags |= Netlink.flagAckTLVs
        }
        return header(length: 16 + body.count, type: Netlink.messageError, flags: flags, sequence: sequence) + body
    }

    static func done(sequence: UInt32, error: Int32 = 0) -> [UInt8] {
        var body: [UInt8] = []
        NetlinkBytes.append(error, to: &body)
        return header(length: 20, type: Netlink.messageDone, flags: Netlink.flagMulti, sequence: sequence) + body
    }

    static func generic(type: UInt16, sequence: UInt32, command: UInt8, flags: UInt16 = 0,
                        _ body: (inout NetlinkAttributeWriter) -> Void) -> [UInt8] {
        var w = NetlinkAttributeWriter(prefix: [command, 1, 0, 0])
        body(&w)
        return header(length: 16 + w.bytes.count, type: type, flags: flags, sequence: sequence) + w.bytes
    }
}

@Suite struct NetlinkMessageTests {
    @Test func errorAckCarriesErrnoSequenceAndExtendedMessage() throws {
        let messages = try NetlinkMessage.parse(KernelMessages.ack(sequence: 42, errno: 17, message: "Service exists"))
        #expect(messages.count == 1)
        let ack = try messages[0].acknowledgement()
        #expect(ack == NetlinkAck(sequence: 42, errno: 17, message: "Service exists"))
    }

    @Test func positiveAckHasErrnoZero() throws {
        let ack = try NetlinkMessage.parse(KernelMessages.ack(sequence: 3, errno: 0))[0].acknowledgement()
        #expect(ack.errno == 0 && ack.sequence == 3 && ack.message == nil)
    }

    @Test func uncappedErrorEchoingTheRequestIsSkippedToReachTLVs() throws {
        // Without NETLINK_CAP_ACK the kernel echoes the whole request (here 24 bytes) before the TLVs.
        var body: [UInt8] = []
        NetlinkBytes.append(Int32(-22), to: &body)
        body += KernelMessages.header(length: 24, type: 0x1c, flags: 1, sequence: 9) + [1, 1, 0, 0, 0, 0, 0, 0]
        var w = NetlinkAttributeWriter()
        w.append(Netlink.errorAttributeMessage, string: "bad")
        body += w.bytes
        let datagram = KernelMessages.header(length: 16 + body.count, type: Netlink.messageError,
                                             flags: Netlink.flagAckTLVs, sequence: 9) + body
        let ack = try NetlinkMessage.parse(datagram)[0].acknowledgement()
        #expect(ack == NetlinkAck(sequence: 9, errno: 22, message: "bad"))
    }

    @Test func datagramSplitsIntoAlignedMessages() throws {
        let datagram = KernelMessages.ack(sequence: 1, errno: 0) + KernelMessages.ack(sequence: 2, errno: 2, message: "x")
            + KernelMessages.done(sequence: 3)
        let messages = try NetlinkMessage.parse(datagram)
        #expect(messages.map(\.sequence) == [1, 2, 3])
        #expect(messages.map(\.type) == [Netlink.messageError, Netlink.messageError, Netlink.messageDone])
    }

    @Test func truncatedMessageIsMalformed() {
        var datagram = KernelMessages.ack(sequence: 1, errno: 0)
        datagram.removeLast(4)
        #expect(throws: NetlinkError.self) { try NetlinkMessage.parse(datagram) }
    }

    @Test func shortErrorMessageIsMalformed() throws {
        let datagram = KernelMessages.header(length: 20, type: Netlink.messageError, flags: 0, sequence: 1) + [0, 0, 0, 0]
        let message = try NetlinkMessage.parse(datagram)[0]
        #expect(throws: NetlinkError.self) { try message.acknowledgement() }
    }

    @Test func kernelErrorDescribesErrno() {
        #expect(NetlinkError.kernel(errno: 17, message: nil).description.contains("File exists"))
    }
}
