import SwitchyardCore

/// ctnetlink message encoding and decoding (`linux/netfilter/nfnetlink_conntrack.h`). Pure.
///
/// Netlink headers and attribute headers are in host byte order (little-endian on every
/// platform we run on); addresses, ports, zone and id are big-endian, as the kernel wants.
enum ConntrackCodec {
    // nlmsghdr types and flags.
    static let nlmsgError: UInt16 = 2, nlmsgDone: UInt16 = 3
    static let flagRequest: UInt16 = 0x1, flagMulti: UInt16 = 0x2, flagAck: UInt16 = 0x4
    static let flagDumpInterrupted: UInt16 = 0x10, flagDump: UInt16 = 0x300
    // NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_{NEW,GET,DELETE}.
    static let msgNew: UInt16 = 1 << 8 | 0, msgGet: UInt16 = 1 << 8 | 1, msgDelete: UInt16 = 1 << 8 | 2
    // enum ctattr_type, ctattr_tuple, ctattr_ip, ctattr_l4proto.
    static let ctaTupleOrig: UInt16 = 1, ctaTupleReply: UInt16 = 2, ctaID: UInt16 = 12, ctaZone: UInt16 = 18
    static let tupleIP: UInt16 = 1, tupleProto: UInt16 = 2
    static let ipV4Src: UInt16 = 1, ipV4Dst: UInt16 = 2, ipV6Src: UInt16 = 3, ipV6Dst: UInt16 = 4
    static let protoNum: UInt16 = 1, protoSrcPort: UInt16 = 2, protoDstPort: UInt16 = 3
    static let nested: UInt16 = 0x8000, typeMask: UInt16 = 0x3fff

    static func addressFamily(_ f: IPFamily) -> UInt8 { f == .ipv4 ? 2 : 10 }

    // MARK: encoding

    /// A dump request for every entry of one family.
    static func dumpRequest(family: IPFamily, seq: UInt32) -> [UInt8] {
        var w = Writer(type: msgGet, flags: flagRequest | flagDump, seq: seq, family: addressFamily(family))
        return w.finish()
    }

    /// A request deleting exactly `entry` (by original tuple, zone and, when known, id), acked.
    static func deleteRequest(_ entry: ConntrackEntry, seq: UInt32) -> [UInt8] {
        var w = Writer(type: msgDelete, flags: flagRequest | flagAck, seq: seq, family: addressFamily(entry.family))
        w.nest(ctaTupleOrig) {
            $0.nest(tupleIP) {
                let v4 = entry.family == .ipv4
                $0.attr(v4 ? ipV4Src : ipV6Src, entry.original.source.ip.bytes)
                $0.attr(v4 ? ipV4Dst : ipV6Dst, entry.original.destination.ip.bytes)
            }
            $0.nest(tupleProto) {
                $0.attr(protoNum, [entry.proto])
                $0.attr(protoSrcPort, be16(entry.original.source.port))
                $0.attr(protoDstPort, be16(entry.original.destination.port))
            }
        }
        if entry.zone != 0 { w.attr(ctaZone, be16(entry.zone)) }
        if let id = entry.id { w.attr(ctaID, [UInt8(id >> 24), UInt8((id >> 16) & 0xff), UInt8((id >> 8) & 0xff), UInt8(id & 0xff)]) }
        return w.finish()
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    /// Builds one nlmsghdr + nfgenmsg + attributes.
    struct Writer {
        private(set) var bytes: [UInt8] = []

        init(type: UInt16, flags: UInt16, seq: UInt32, family: UInt8) {
            put32(0); put16(type); put16(flags); put32(seq); put32(0)
            bytes += [family, 0, 0, 0]              // nfgenmsg: family, NFNETLINK_V0, res_id
        }

        mutating func attr(_ type: UInt16, _ payload: [UInt8]) {
            put16(UInt16(4 + payload.count)); put16(type)
            bytes += payload
            pad()
        }

        mutating func nest(_ type: UInt16, _ body: (inout Writer) -> Void) {
            let start = bytes.count
            put16(0); put16(type | ConntrackCodec.nested)
            body(&self)
            patch16(at: start, UInt16(bytes.count - start))
        }

        mutating func finish() -> [UInt8] {
            let n = UInt32(bytes.count)
            bytes[0] = UInt8(n & 0xff); bytes[1] = UInt8((n >> 8) & 0xff)
            bytes[2] = UInt8((n >> 16) & 0xff); bytes[3] = UInt8(n >> 24)
            return bytes
        }

        private mutating func put16(_ v: UInt16) { bytes += [UInt8(v & 0xff), UInt8(v >> 8)] }
        private mutating func put32(_ v: UInt32) { put16(UInt16(v & 0xffff)); put16(UInt16(v >> 16)) }
        private mutating func patch16(at o: Int, _ v: UInt16) { bytes[o] = UInt8(v & 0xff); bytes[o + 1] = UInt8(v >> 8) }
        private mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }
    }

    // MARK: decoding

    /// One netlink message in a received buffer.
    struct Message { var type: UInt16; var flags: UInt16; var seq: UInt32; var payload: ArraySlice<UInt8> }

    /// Splits a received buffer into messages; a truncated or short header ends the walk.
    static func messages(_ buf: ArraySlice<UInt8>) throws -> [Message] {
        var out: [Message] = []
        var o = buf.startIndex
        while buf.endIndex - o >= 16 {
            let len = Int(le32(buf, o))
            guard len >= 16, o + len <= buf.endIndex else { throw ConntrackError.malformedReply("message length \(len)") }
            out.append(Message(type: le16(buf, o + 4), flags: le16(buf, o + 6), seq: le32(buf, o + 8),
                               payload: buf[(o + 16)..<(o + len)]))
            o += (len + 3) & ~3
        }
        return out
    }

    /// The errno of an NLMSG_ERROR payload (0 = ack).
    static func errorCode(_ payload: ArraySlice<UInt8>) throws -> Int32 {
        guard payload.count >= 4 else { throw ConntrackError.malformedReply("short error message") }
        return -Int32(bitPattern: le32(payload, payload.startIndex))
    }

    /// Attributes of a payload region: type (flags masked off) → payload.
    static func attributes(_ region: ArraySlice<UInt8>) -> [UInt16: ArraySlice<UInt8>] {
        var out: [UInt16: ArraySlice<UInt8>] = [:]
        var o = region.startIndex
        while region.endIndex - o >= 4 {
            let len = Int(le16(region, o)), type = le16(region, o + 2) & typeMask
            guard len >= 4, o + len <= region.endIndex else { break }
            out[type] = region[(o + 4)..<(o + len)]
            o += (len + 3) & ~3
        }
        return out
    }

    /// Decodes one IPCTNL_MSG_CT_NEW dump message; nil when it lacks a tuple we understand.
    static func entry(_ m: Message) -> ConntrackEntry? {
        guard m.type == msgNew, m.payload.count >= 4 else { return nil }
        let familyByte = m.payload[m.payload.startIndex]
        let family: IPFamily
        switch familyByte {
        case 2: family = .ipv4
        case 10: family = .ipv6
        default: return nil
        }
        let attrs = attributes(m.payload.dropFirst(4))
        guard let orig = attrs[ctaTupleOrig].flatMap({ tuple($0, family: family) }),
              let reply = attrs[ctaTupleReply].flatMap({ tuple($0, family: family) }) else { return nil }
        let zone = attrs[ctaZone].flatMap { $0.count == 2 ? be16($0) : nil } ?? 0
        let id = attrs[ctaID].flatMap { $0.count == 4 ? be32($0) : nil }
        return ConntrackEntry(family: family, proto: orig.proto, original: orig.tuple, reply: reply.tuple, zone: zone, id: id)
    }

    private static func tuple(_ region: ArraySlice<UInt8>, family: IPFamily) -> (tuple: ConntrackTuple, proto: UInt8)? {
        let t = attributes(region)
        guard let ipRegion = t[tupleIP], let protoRegion = t[tupleProto] else { return nil }
        let ip = attributes(ipRegion), l4 = attributes(protoRegion)
        let (srcType, dstType) = family == .ipv4 ? (ipV4Src, ipV4Dst) : (ipV6Src, ipV6Dst)
        guard let src = ip[srcType].flatMap({ IPAddress(bytes: Array($0)) }), src.family == family,
              let dst = ip[dstType].flatMap({ IPAddress(bytes: Array($0)) }), dst.family == family,
              let num = l4[protoNum]?.first else { return nil }
        let sport = l4[protoSrcPort].flatMap { $0.count == 2 ? be16($0) : nil } ?? 0
        let dport = l4[protoDstPort].flatMap { $0.count == 2 ? be16($0) : nil } ?? 0
        return (ConntrackTuple(source: ConntrackAddress(ip: src, port: sport), destination: ConntrackAddress(ip: dst, port: dport)), num)
    }

    static func le16(_ b: ArraySlice<UInt8>, _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
    static func le32(_ b: ArraySlice<UInt8>, _ o: Int) -> UInt32 { UInt32(le16(b, o)) | UInt32(le16(b, o + 2)) << 16 }
    static func be16(_ b: ArraySlice<UInt8>) -> UInt16 { UInt16(b[b.startIndex]) << 8 | UInt16(b[b.startIndex + 1]) }
    static func be32(_ b: ArraySlice<UInt8>) -> UInt32 {
        b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
