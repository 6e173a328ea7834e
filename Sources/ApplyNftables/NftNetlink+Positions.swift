import RenderNftables
import SwitchyardCore

extension NftNetlink {
    /// The ClientIP-affinity endpoint positions our table of `family` holds: every element of its
    /// position maps (`cipaff_eps_0`, …), by path and frontend, position → endpoint. One
    /// GETSETELEM dump per position map (a few maps; only affinity frontends). Empty when the
    /// table does not exist; elements that do not decode are skipped.
    func affinityPositions(family: NftFamily, table: String) throws -> NftKernelPositions {
        var out: NftKernelPositions = [:]
        let inv = try inventory(family: family, table: table)
        for set in inv.sets.sorted() {
            guard let (path, k) = NftAffinityChain.positionMap(parsing: set) else { continue }
            let s = reserve(1)
            let m = Self.elementDumpRequest(family: family, table: table, set: set, seq: s)
            _ = try dump(m, seq: s) { buf, from, to in
                for (key, data) in Self.elements(buf, from: from, to: to) {
                    guard let fe = Self.frontend(key, nodePort: path.isNodePort, family: family),
                          let ep = Self.addressPort(data, family: family) else { continue }
                    out[NftPositionKey(path: path, frontend: fe), default: [:]][k] = ep
                }
            }
        }
        return out
    }

    /// The (key, data) values of the elements in one GETSETELEM reply's payload.
    static func elements(_ b: [UInt8], from: Int, to: Int) -> [([UInt8], [UInt8])] {
        var out: [([UInt8], [UInt8])] = []
        for (type, s, e) in attributes(b, from: from, to: to) where type == 3 {          // NFTA_SET_ELEM_LIST_ELEMENTS
            for (t, es, ee) in attributes(b, from: s, to: e) where t == 1 {             // NFTA_LIST_ELEM
                var key: [UInt8]?, data: [UInt8]?
                for (a, as_, ae) in attributes(b, from: es, to: ee) where a == 1 || a == 2 {   // KEY, DATA
                    let value = attributes(b, from: as_, to: ae).first { $0.0 == 1 }.map { Array(b[$0.1..<$0.2]) }  // NFTA_DATA_VALUE
                    if a == 1 { key = value } else { data = value }
                }
                if let key, let data { out.append((key, data)) }
            }
        }
        return out
    }

    /// Attributes (type without flags, value bounds) between `from` and `to`.
    static func attributes(_ b: [UInt8], from: Int, to: Int) -> [(UInt16, Int, Int)] {
        var out: [(UInt16, Int, Int)] = []
        var off = from
        while off + 4 <= to {
            let len = Int(u16(b, off)), type = u16(b, off + 2) & 0x3fff
            guard len >= 4, off + len <= to else { break }
            out.append((type, off + 4, off + len))
            off += (len + 3) & ~3
        }
        return out
    }

    /// `[address .] proto . port` as `NftElementCodec` encodes it (4-byte registers).
    static func frontend(_ k: [UInt8], nodePort: Bool, family: NftFamily) -> NftFrontend? {
        let a = nodePort ? 0 : (family == .ip ? 4 : 16)
        guard k.count == a + 8, let proto = L4Protocol.allCases.first(where: { $0.number == k[a] }) else { return nil }
        let addr = nodePort ? nil : IPAddress(bytes: Array(k[0..<a]))
        guard nodePort || addr != nil else { return nil }
        return NftFrontend(address: addr, proto: proto, port: UInt16(k[a + 4]) << 8 | UInt16(k[a + 5]))
    }

    /// `address . port` map data.
    static func addressPort(_ d: [UInt8], family: NftFamily) -> NftPositionEndpoint? {
        let a = family == .ip ? 4 : 16
        guard d.count == a + 4, let ip = IPAddress(bytes: Array(d[0..<a])) else { return nil }
        return NftPositionEndpoint(ip: ip, port: UInt16(d[a]) << 8 | UInt16(d[a + 1]))
    }
}
