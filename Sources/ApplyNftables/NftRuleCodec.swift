import RenderNftables
import SwitchyardCore

/// Encodes chains and typed rules (`NftRuleBody`, the affinity chains' closed set of shapes) as
/// nf_tables netlink messages for a raw batch (`NftNetlink.commit`), the same expression sequences
/// `nft` 1.0.6 sends for the equivalent text (`nft --debug=netlink`). A rule without a typed form
/// returns nil: it goes through nft.
///
/// Registers: a concatenation's components sit in consecutive 32-bit registers, each padded to 4
/// bytes; a component starting on a 16-byte boundary is named by its 128-bit register (NFT_REG_1…4),
/// any other by its 32-bit one (NFT_REG32_00 + index), as nft names them. Attribute values are
/// big-endian u32 unless noted; compared data is in the packet's (network) order, numgen results and
/// the packet mark in host order.
enum NftRuleCodec {
    // Message types (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_*).
    static let newChain: UInt16 = 3, delChain: UInt16 = 5, newRule: UInt16 = 6, delRule: UInt16 = 8, delSet: UInt16 = 11
    /// NLM_F_APPEND: a new rule goes to the end of its chain.
    static let append: UInt16 = 0x800

    /// NFPROTO_IPV4 / NFPROTO_IPV6.
    static func nfproto(_ f: NftFamily) -> UInt8 { f == .ip ? 2 : 10 }

    private static func message(_ type: UInt16, flags: UInt16 = 0, family: NftFamily, seq: UInt32) -> NetlinkMessage {
        NetlinkMessage(type: NftNetlink.subsys << 8 | type, flags: NetlinkMessage.request | NetlinkMessage.ack | flags,
                       seq: seq, family: nfproto(family))
    }

    /// NFT_MSG_NEWCHAIN of a regular (non-base) chain; an existing one is kept.
    static func newChainMessage(family: NftFamily, table: String, chain: String, seq: UInt32) -> [UInt8] {
        var m = message(newChain, flags: NetlinkMessage.create, family: family, seq: seq)
        m.attr(1, string: table)   // NFTA_CHAIN_TABLE
        m.attr(3, string: chain)   // NFTA_CHAIN_NAME
        return m.finished
    }

    /// NFT_MSG_DELCHAIN (the kernel removes its rules with it; fails while something jumps to it).
    static func delChainMessage(family: NftFamily, table: String, chain: String, seq: UInt32) -> [UInt8] {
        var m = message(delChain, family: family, seq: seq)
        m.attr(1, string: table)
        m.attr(3, string: chain)
        return m.finished
    }

    /// NFT_MSG_DELRULE without a handle: flushes `chain`.
    static func flushChainMessage(family: NftFamily, table: String, chain: String, seq: UInt32) -> [UInt8] {
        var m = message(delRule, family: family, seq: seq)
        m.attr(1, string: table)   // NFTA_RULE_TABLE
        m.attr(2, string: chain)   // NFTA_RULE_CHAIN
        return m.finished
    }

    /// NFT_MSG_DELSET of a set or map.
    static func delSetMessage(family: NftFamily, table: String, set: String, seq: UInt32) -> [UInt8] {
        var m = message(delSet, family: family, seq: seq)
        m.attr(1, string: table)   // NFTA_SET_TABLE
        m.attr(2, string: set)     // NFTA_SET_NAME
        return m.finished
    }

    /// NFT_MSG_NEWRULE appending `rule` to `chain`, or nil when the rule has no typed form the codec
    /// knows (or its family differs from the table's).
    static func newRuleMessage(family: NftFamily, table: String, chain: String, rule: NftRule, seq: UInt32) -> [UInt8]? {
        guard let body = rule.body, body.family == family, !body.exprs.isEmpty else { return nil }
        var m = message(newRule, flags: NetlinkMessage.create | append, family: family, seq: seq)
        m.attr(1, string: table)   // NFTA_RULE_TABLE
        m.attr(2, string: chain)   // NFTA_RULE_CHAIN
        m.begin(4)                 // NFTA_RULE_EXPRESSIONS
        guard encode(body, into: &m) else { return nil }
        m.end()
        return m.finished
    }

    /// Appends the expression list of `body` to the open NFTA_RULE_EXPRESSIONS nest.
    static func encode(_ body: NftRuleBody, into m: inout NetlinkMessage) -> Bool {
        let f = body.family
        for e in body.exprs {
            switch e {
            case .lookup(let key, let set, let inverted):
                guard validName(set), load(key, family: f, into: &m) else { return false }
                expr("lookup", into: &m) { m in
                    m.attr(2, be32: 1)                 // NFTA_LOOKUP_SREG
                    m.attr(1, string: set)             // NFTA_LOOKUP_SET
                    if inverted { m.attr(5, be32: 1) } // NFTA_LOOKUP_FLAGS: NFT_LOOKUP_F_INV
                }
            case .markBits(let bits):
                metaLoad(key: 3, dreg: 1, into: &m)    // NFT_META_MARK
                expr("bitwise", into: &m) { m in
                    m.attr(1, be32: 1)                 // NFTA_BITWISE_SREG
                    m.attr(2, be32: 1)                 // NFTA_BITWISE_DREG
                    m.attr(6, be32: 0)                 // NFTA_BITWISE_OP: NFT_BITWISE_BOOL (mask-xor)
                    m.attr(3, be32: 4)                 // NFTA_BITWISE_LEN
                    m.begin(4); m.attr(1, host32(~bits)); m.end()   // NFTA_BITWISE_MASK { NFTA_DATA_VALUE }
                    m.begin(5); m.attr(1, host32(bits)); m.end()    // NFTA_BITWISE_XOR
                }
                expr("meta", into: &m) { m in
                    m.attr(2, be32: 3)                 // NFTA_META_KEY: NFT_META_MARK
                    m.attr(3, be32: 1)                 // NFTA_META_SREG
                }
            case .numgen(let modulus, let equals):
                guard modulus > 0, equals < modulus else { return false }
                expr("numgen", into: &m) { m in
                    m.attr(1, be32: 1)                 // NFTA_NG_DREG
                    m.attr(2, be32: modulus)           // NFTA_NG_MODULUS
                    m.attr(3, be32: 1)                 // NFTA_NG_TYPE: NFT_NG_RANDOM
                    m.attr(4, be32: 0)                 // NFTA_NG_OFFSET
                }
                cmpEq(host32(equals), into: &m)
            case .update(let set, let key, let timeout):
                guard validName(set), load(key, family: f, into: &m) else { return false }
                expr("dynset", into: &m) { m in
                    m.attr(4, be32: 1)                 // NFTA_DYNSET_SREG_KEY
                    m.attr(3, be32: 1)                 // NFTA_DYNSET_OP: NFT_DYNSET_OP_UPDATE
                    if let t = timeout { m.attr(6, be64(UInt64(t) * 1000)) }  // NFTA_DYNSET_TIMEOUT, ms
                    m.attr(1, string: set)             // NFTA_DYNSET_SET_NAME
                }
            case .l4proto(let p):
                metaLoad(key: 16, dreg: 1, into: &m)   // NFT_META_L4PROTO
                cmpEq([protoNumber(p)], into: &m)
            case .dnat(let addr, let port):
                guard NftFamily(addr.family) == f else { return false }
                immediate(dreg: 1, addr.bytes, into: &m)
                immediate(dreg: 2, [UInt8(port >> 8), UInt8(port & 0xff)], into: &m)
                expr("nat", into: &m) { m in
                    m.attr(1, be32: 1)                 // NFTA_NAT_TYPE: NFT_NAT_DNAT
                    m.attr(2, be32: UInt32(nfproto(f))) // NFTA_NAT_FAMILY
                    m.attr(3, be32: 1)                 // NFTA_NAT_REG_ADDR_MIN
                    m.attr(5, be32: 2)                 // NFTA_NAT_REG_PROTO_MIN
                    m.attr(7, be32: 2)                 // NFTA_NAT_FLAGS: NF_NAT_RANGE_PROTO_SPECIFIED
                }
            }
        }
        return true
    }

    /// Loads the fields of a (concatenated) key into consecutive registers from register 1.
    private static func load(_ key: [NftField], family: NftFamily, into m: inout NetlinkMessage) -> Bool {
        guard !key.isEmpty else { return false }
        var word = 0   // 32-bit register index of the next component
        for field in key {
            let reg = register(word)
            let size: Int
            switch field {
            case .saddr, .daddr:
                size = family == .ip ? 4 : 16
                let offset: UInt32 = family == .ip ? (field == .saddr ? 12 : 16) : (field == .saddr ? 8 : 24)
                payload(dreg: reg, base: 1, offset: offset, len: UInt32(size), into: &m)   // network header
            case .l4proto:
                size = 1
                metaLoad(key: 16, dreg: reg, into: &m)
            case .dport:
                size = 2
                payload(dreg: reg, base: 2, offset: 2, len: 2, into: &m)                   // transport header
            }
            word += (size + 3) / 4
        }
        return word <= 16   // NFT_REG32_00 … NFT_REG32_15
    }

    /// The register name nft uses for 32-bit register `word`.
    static func register(_ word: Int) -> UInt32 { word % 4 == 0 ? UInt32(word / 4 + 1) : UInt32(8 + word) }

    private static func expr(_ name: String, into m: inout NetlinkMessage, _ data: (inout NetlinkMessage) -> Void) {
        m.begin(1)                 // NFTA_LIST_ELEM
        m.attr(1, string: name)    // NFTA_EXPR_NAME
        m.begin(2)                 // NFTA_EXPR_DATA
        data(&m)
        m.end()
        m.end()
    }

    private static func payload(dreg: UInt32, base: UInt32, offset: UInt32, len: UInt32, into m: inout NetlinkMessage) {
        expr("payload", into: &m) { m in
            m.attr(1, be32: dreg)      // NFTA_PAYLOAD_DREG
            m.attr(2, be32: base)      // NFTA_PAYLOAD_BASE
            m.attr(3, be32: offset)    // NFTA_PAYLOAD_OFFSET
            m.attr(4, be32: len)       // NFTA_PAYLOAD_LEN
        }
    }

    private static func metaLoad(key: UInt32, dreg: UInt32, into m: inout NetlinkMessage) {
        expr("meta", into: &m) { m in
            m.attr(2, be32: key)       // NFTA_META_KEY
            m.attr(1, be32: dreg)      // NFTA_META_DREG
        }
    }

    private static func cmpEq(_ value: [UInt8], into m: inout NetlinkMessage) {
        expr("cmp", into: &m) { m in
            m.attr(1, be32: 1)         // NFTA_CMP_SREG
            m.attr(2, be32: 0)         // NFTA_CMP_OP: NFT_CMP_EQ
            m.begin(3); m.attr(1, value); m.end()   // NFTA_CMP_DATA { NFTA_DATA_VALUE }
        }
    }

    private static func immediate(dreg: UInt32, _ value: [UInt8], into m: inout NetlinkMessage) {
        expr("immediate", into: &m) { m in
            m.attr(1, be32: dreg)      // NFTA_IMMEDIATE_DREG
            m.begin(2); m.attr(1, value); m.end()   // NFTA_IMMEDIATE_DATA { NFTA_DATA_VALUE }
        }
    }

    static func protoNumber(_ p: L4Protocol) -> UInt8 {
        switch p {
        case .tcp: return 6
        case .udp: return 17
        case .sctp: return 132
        }
    }

    /// A set name as the kernel takes it (NFT_SET_MAXNAMELEN 256, no NUL inside).
    private static func validName(_ s: String) -> Bool { !s.isEmpty && s.utf8.count < 256 && !s.utf8.contains(0) }

    private static func host32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    private static func be64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (56 - 8 * UInt64($0)) & 0xff) } }
}
