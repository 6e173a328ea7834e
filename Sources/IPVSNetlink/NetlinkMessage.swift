/// One netlink request before it is framed: message type, flags and the payload after `nlmsghdr`.
/// The sender adds the header, the sequence number and (by its ACK policy) NLM_F_ACK.
public struct NetlinkRequest: Sendable, Equatable {
    public var type: UInt16
    /// Flags besides NLM_F_REQUEST (always set) and NLM_F_ACK (set by the sender).
    public var flags: UInt16
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16 = 0, payload: [UInt8]) {
        self.type = type; self.flags = flags; self.payload = payload
    }

    /// The framed length of this request (header + payload, aligned).
    public var framedLength: Int { Netlink.align(Netlink.headerLength + payload.count) }

    /// Appends `nlmsghdr` + payload (+ padding) to `buffer`.
    public func frame(sequence: UInt32, extraFlags: UInt16, into buffer: inout [UInt8]) {
        let length = Netlink.headerLength + payload.count
        NetlinkBytes.append(UInt32(length), to: &buffer)
        NetlinkBytes.append(type, to: &buffer)
        NetlinkBytes.append(Netlink.flagRequest | flags | extraFlags, to: &buffer)
        NetlinkBytes.append(sequence, to: &buffer)
        NetlinkBytes.append(UInt32(0), to: &buffer) // nlmsg_pid: 0 addresses the kernel
        buffer.append(contentsOf: payload)
        let padding = Netlink.align(length) - length
        if padding > 0 { buffer.append(contentsOf: repeatElement(0, count: padding)) }
    }

    /// A generic-netlink request: `genlmsghdr` (cmd, version, reserved) followed by `attributes`.
    public static func generic(family: UInt16, command: UInt8, version: UInt8, flags: UInt16 = 0,
                               attributes: (inout NetlinkAttributeWriter) -> Void = { _ in }) -> NetlinkRequest {
        var writer = NetlinkAttributeWriter(prefix: [command, version, 0, 0])
        attributes(&writer)
        return NetlinkRequest(type: family, flags: flags, payload: writer.bytes)
    }
}

/// One received netlink message.
public struct NetlinkMessage: Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    /// Everything after `nlmsghdr` (not including trailing alignment padding).
    public var payload: ArraySlice<UInt8>

    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: ArraySlice<UInt8>) {
        self.type = type; self.flags = flags; self.sequence = sequence; self.portID = portID; self.payload = payload
    }

    /// Splits one received datagram into messages. Throws on a truncated or inconsistent header.
    public static func parse(_ datagram: [UInt8]) throws -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        let all = datagram[...]
        var offset = 0
        while datagram.count - offset >= Netlink.headerLength {
            let length = Int(NetlinkBytes.u32(all, at: offset))
            guard length >= Netlink.headerLength, offset + length <= datagram.count else {
                throw NetlinkError.malformed("message length \(length) at offset \(offset) of \(datagram.count)")
            }
            messages.append(NetlinkMessage(
                type: NetlinkBytes.u16(all, at: offset + 4),
                flags: NetlinkBytes.u16(all, at: offset + 6),
                sequence: NetlinkBytes.u32(all, at: offset + 8),
                portID: NetlinkBytes.u32(all, at: offset + 12),
                payload: all[(offset + Netlink.headerLength)..<(offset + length)]))
            offset += Netlink.align(length)
        }
        return messages
    }

    /// For a generic-netlink message: the command byte and the attributes after `genlmsghdr`.
    public func genericAttributes() throws -> (command: UInt8, attributes: NetlinkAttributes) {
        guard payload.count >= GenericNetlink.headerLength else {
            throw NetlinkError.malformed("generic netlink message shorter than its header")
        }
        let start = payload.startIndex
        return (payload[start], try NetlinkAttributes(payload[(start + GenericNetlink.headerLength)...]))
    }

    /// For an NLMSG_ERROR message: the acknowledgement it carries.
    public func acknowledgement() throws -> NetlinkAck {
        try NetlinkAck(errorMessage: self)
    }
}

/// The content of an NLMSG_ERROR message: errno 0 is a positive ACK.
public struct NetlinkAck: Sendable, Equatable {
    /// The sequence number of the request this answers (from the echoed header).
    public var sequence: UInt32
    /// The positive errno (0 for success).
    public var errno: Int32
    /// The kernel's extended-ACK message, when it sent one.
    public var message: String?

    public init(sequence: UInt32, errno: Int32, message: String? = nil) {
        self.sequence = sequence; self.errno = errno; self.message = message
    }

    /// Parses `struct nlmsgerr` { int error; struct nlmsghdr msg; } plus the echoed payload (unless
    /// capped) and the extended-ACK TLVs (when NLM_F_ACK_TLVS is set).
    public init(errorMessage m: NetlinkMessage) throws {
        let p = m.payload
        guard m.type == Netlink.messageError, p.count >= 4 + Netlink.headerLength else {
            throw NetlinkError.malformed("NLMSG_ERROR shorter than struct nlmsgerr")
        }
        let s = p.startIndex
        let error = Int32(bitPattern: NetlinkBytes.u32(p, at: s))
        let echoedLength = Int(NetlinkBytes.u32(p, at: s + 4))
        sequence = NetlinkBytes.u32(p, at: s + 4 + 8)
        errno = error < 0 ? -error : error
        message = nil
        guard m.flags & Netlink.flagAckTLVs != 0 else { return }
        // Capped (or positive ACKs, which are always capped): only the echoed header is present.
        let echoed = (m.flags & Netlink.flagCapped != 0 || error == 0) ? Netlink.headerLength : Netlink.align(echoedLength)
        let tlvStart = s + 4 + echoed
        guard tlvStart <= p.endIndex else { return }
        if let tlvs = try? NetlinkAttributes(p[tlvStart...]) {
            message = tlvs.string(Netlink.errorAttributeMessage)
        }
    }
}
