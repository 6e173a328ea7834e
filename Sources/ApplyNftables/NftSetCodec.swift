import RenderNftables

/// Encodes NFT_MSG_NEWSET for the affinity sets a delta may create — dynamic timeout sets keyed by
/// a client address (`type ipv4_addr`, per-endpoint, with the port's timeout) or by `client .
/// frontend` (the shared slot sets, with a size) — as nft 1.0.6 sends them (`strace` of `nft -f`),
/// userdata included so `nft list` prints them the same. Any other declaration returns nil (nft).
enum NftSetCodec {
    static let newSet: UInt16 = 9

    /// Key datatype ids (nft's `TYPE_*`), concatenated 6 bits a component.
    private static let ipv4: UInt32 = 7, ipv6: UInt32 = 8, inetProto: UInt32 = 12, inetService: UInt32 = 13

    /// Key type, key length and userdata of a declaration the codec knows in `family`.
    static func layout(_ spec: String, family: NftFamily) -> (type: UInt32, len: UInt32, udata: [UInt8])? {
        let addr = family == .ip ? "ipv4_addr" : "ipv6_addr"
        let addrType = family == .ip ? ipv4 : ipv6, addrLen: UInt32 = family == .ip ? 4 : 16
        // NFTNL_UDATA_SET_KEYBYTEORDER (big-endian) for a single address; for a concatenation,
        // byte order 0 plus the component records nft writes.
        let single: [UInt8] = [0, 4, 2, 0, 0, 0]
        let concat: [UInt8] = [0, 4, 0, 0, 0, 0, 3, 8, 0, 4, 13, 0, 0, 0, 1, 0]
        switch spec {
        case "type \(addr)": return (addrType, addrLen, single)
        case "type \(addr) . inet_proto . inet_service":
            return (addrType << 12 | inetProto << 6 | inetService, addrLen + 8, concat)
        case "type \(addr) . \(addr) . inet_proto . inet_service":
            return (addrType << 18 | addrType << 12 | inetProto << 6 | inetService, 2 * addrLen + 8, concat)
        default: return nil
        }
    }

    /// NFT_MSG_NEWSET creating `set` (an existing one is kept), or nil when the codec does not know it.
    /// `seq` doubles as the set's transaction id.
    static func newSetMessage(family: NftFamily, table: String, set: NftSet, seq: UInt32) -> [UInt8]? {
        guard set.flags == ["dynamic", "timeout"], let l = layout(set.spec, family: family),
              !set.name.isEmpty, set.name.utf8.count < 256 else { return nil }
        var m = NetlinkMessage(type: NftNetlink.subsys << 8 | newSet,
                               flags: NetlinkMessage.request | NetlinkMessage.ack | NetlinkMessage.create,
                               seq: seq, family: NftRuleCodec.nfproto(family))
        m.attr(1, string: table)          // NFTA_SET_TABLE
        m.attr(2, string: set.name)       // NFTA_SET_NAME
        m.attr(3, be32: 0x30)             // NFTA_SET_FLAGS: NFT_SET_TIMEOUT | NFT_SET_EVAL
        m.attr(4, be32: l.type)           // NFTA_SET_KEY_TYPE
        m.attr(5, be32: l.len)            // NFTA_SET_KEY_LEN
        m.attr(10, be32: seq)             // NFTA_SET_ID (required; unique within the batch)
        if let t = set.timeoutSeconds {   // NFTA_SET_TIMEOUT, ms
            let ms = UInt64(t) * 1000
            m.attr(11, (0..<8).map { UInt8(ms >> (56 - 8 * UInt64($0)) & 0xff) })
        }
        if let n = set.size { m.begin(9); m.attr(1, be32: n); m.end() }   // NFTA_SET_DESC { SIZE }
        m.attr(13, l.udata)               // NFTA_SET_USERDATA
        return m.finished
    }
}
