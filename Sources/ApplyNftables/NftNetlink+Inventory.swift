import RenderNftables

#if canImport(Glibc)
import Glibc
#endif

extension NftNetlink {
    /// What our table of one family holds: chain and set/map names (no elements, no rules).
    struct Inventory: Hashable, Sendable {
        var chains: Set<String> = []
        var sets: Set<String> = []
        /// False when the table does not exist.
        var exists = false
    }

    /// Chain and set names of `table` in `family`, by two netlink dumps (GETCHAIN, GETSET);
    /// cheap at any size because elements and rules are not dumped.
    func inventory(family: NftFamily, table: String) throws -> Inventory {
        var inv = Inventory()
        // NFT_MSG_GETCHAIN = 4 (NFTA_CHAIN_TABLE 1, NFTA_CHAIN_NAME 3); NFT_MSG_GETSET = 10 (NFTA_SET_TABLE 1, NFTA_SET_NAME 2).
        guard let chains = try dumpNames(type: 4, family: family, table: table, tableAttr: 1, nameAttr: 3),
              let sets = try dumpNames(type: 10, family: family, table: table, tableAttr: 1, nameAttr: 2) else { return inv }
        inv.chains = Set(chains); inv.sets = Set(sets)
        inv.exists = !chains.isEmpty || !sets.isEmpty
        return inv
    }

    /// Names (attribute `nameAttr`) of the objects a dump of `type` returns for `table`;
    /// nil when the table does not exist.
    private func dumpNames(type: UInt16, family: NftFamily, table: String, tableAttr: UInt16, nameAttr: UInt16) throws -> [String]? {
        let s = reserve(1)
        var m = NetlinkMessage(type: Self.subsys << 8 | type, flags: NetlinkMessage.request | 0x300 /* DUMP */,
                               seq: s, family: family == .ip ? 2 : 10)
        m.attr(tableAttr, string: table)
        var names: [String] = []
        let found = try dump(m, seq: s) { buf, from, to in
            let attrs = Self.stringAttrs(buf, from: from, to: to)
            if attrs[tableAttr] == table, let name = attrs[nameAttr] { names.append(name) }
        }
        return found ? names : nil
    }

    /// Top-level string attributes of one message (NUL stripped), by type.
    private static func stringAttrs(_ b: [UInt8], from: Int, to: Int) -> [UInt16: String] {
        var out: [UInt16: String] = [:]
        var off = from
        while off + 4 <= to {
            let len = Int(u16(b, off)), type = u16(b, off + 2) & 0x3fff
            guard len >= 4, off + len <= to else { break }
            if type <= 3 {
                var bytes = Array(b[(off + 4)..<(off + len)])
                while bytes.last == 0 { bytes.removeLast() }
                out[type] = String(decoding: bytes, as: UTF8.self)
            }
            off += (len + 3) & ~3
        }
        return out
    }

    /// A DELSETELEM message without elements: the kernel flushes the whole set.
    static func flushMessage(family: NftFamily, table: String, set: String, seq: UInt32) -> [UInt8] {
        var m = NetlinkMessage(type: subsys << 8 | delSetElem, flags: NetlinkMessage.request | NetlinkMessage.ack, seq: seq,
                               family: family == .ip ? 2 : 10)
        m.attr(1, string: table)
        m.attr(2, string: set)
        return m.finished
    }
}
