import SwitchyardCore

extension IPVSPlan {
    /// A readable plan: dummy-interface addresses, ipvsadm-save style virtual servers, `ipset
    /// restore` text, then each family's `iptables-restore --noflush` text and its jumps. The large
    /// parts are written as bytes in contiguous chunks on every core and joined on every core.
    public var text: String {
        // The virtual servers are sorted (as positions, so none is copied into a sorted array)
        // while the addresses and sets are sorted and written.
        let servers = Array(virtualServers.values)
        let (order, (held, sets)) = ParallelMap.both({ servers.indices.sorted { servers[$0].key < servers[$1].key } }, {
            (Self.inChunks(addresses.sorted()) { a, w in w.write("ip "); w.write(hold: "add", a); w.write(byte: UInt8(ascii: "\n")) },
             ipsetRestorePieces)
        })
        var pieces = [ASCIIBuffer("# addresses on \(IPVSPlan.dummyInterface)\n")] + held
        pieces.append(ASCIIBuffer("# ipvsadm-restore\n"))
        pieces += Self.inChunks(order) { i, w in w.write(virtualServer: servers[i]) }
        pieces.append(ASCIIBuffer("# ipset restore\n"))
        pieces += sets
        for f in iptables.keys.sorted() {
            let r = iptables[f]!
            var part = "# \(f == .ipv4 ? "iptables" : "ip6tables")-restore --noflush\n" + r.restoreText
            for j in r.jumps { part += "# ensure: -t \(j.table) -A \(j.chain) \(j.rule)\n" }
            pieces.append(ASCIIBuffer(part))
        }
        return ParallelMap.join(pieces)
    }

    /// The text of `items` in order, written in contiguous chunks on every core (`ParallelMap`);
    /// the caller joins the chunks.
    static func inChunks<T: Sendable>(_ items: [T], _ write: @escaping @Sendable (T, inout ASCIIBuffer) -> Void) -> [ASCIIBuffer] {
        let chunks = items.count >= 2048 ? 4 * ParallelMap.workers() : 1
        let bounds = (0..<chunks).map { c in (items.count * c / chunks)..<(items.count * (c + 1) / chunks) }
        return ParallelMap.map(bounds, minimumChunk: 1) { r in
            var w = ASCIIBuffer(capacity: r.count * 64)
            for i in r { write(items[i], &w) }
            return w
        }
    }

    /// `ipset restore` text for every set (create lines, then add lines).
    public var ipsetRestoreText: String { ParallelMap.join(ipsetRestorePieces) }

    /// `ipsetRestoreText` in pieces: each set's create line and its sorted members' add lines.
    private var ipsetRestorePieces: [ASCIIBuffer] {
        var out: [ASCIIBuffer] = []
        for s in sortedIPSets {
            out.append(ASCIIBuffer(s.createLine + "\n"))
            let prefix = "add \(s.name) "
            out += Self.inChunks(s.members.sorted()) { m, w in w.write(prefix); w.write(member: m); w.write(byte: UInt8(ascii: "\n")) }
        }
        return out
    }

    func writeJSON(_ o: JSONWriter) {
        o.object {
            o.key("interface"); o.string(IPVSPlan.dummyInterface)
            o.key("addresses"); o.array(addresses.sorted()) { o.string("\($0)") }
            o.key("virtualServers")
            o.array(sortedVirtualServers) { vs in
                o.object {
                    switch vs.key {
                    case let .inet(p, a, port):
                        o.key("protocol"); o.string(p.rawValue)
                        o.key("address"); o.string("\(a)")
                        o.key("port"); o.number(Int(port))
                    case let .fwmark(f, m):
                        o.key("family"); o.string(f.rawValue)
                        o.key("fwmark"); o.number(Int(m))
                    }
                    if let origin = vs.origin { o.key("servicePort"); o.string(origin.description) }
                    o.key("scheduler"); o.string(vs.service.scheduler)
                    o.key("flags"); o.number(Int(vs.service.flags.rawValue))
                    o.key("persistenceTimeout"); o.number(Int(vs.service.timeout))
                    o.key("netmask"); o.number(vs.service.netmaskPrefix)
                    o.key("destinations")
                    o.array(vs.destinations) { d in
                        o.object {
                            o.key("address"); o.string("\(d.address)")
                            o.key("port"); o.number(Int(d.port))
                            o.key("weight"); o.number(Int(d.weight))
                            o.key("forwarding"); o.string(d.forwarding.rawValue)
                        }
                    }
                }
            }
            o.key("ipsets")
            o.array(sortedIPSets) { s in
                o.object {
                    o.key("name"); o.string(s.name)
                    o.key("type"); o.string(s.type.rawValue)
                    o.key("family"); o.string(s.family.rawValue)
                    o.key("members"); o.array(s.members.sorted()) { o.string($0.description) }
                }
            }
            o.key("iptables")
            o.object {
                for f in iptables.keys.sorted() {
                    o.key(f.rawValue); o.string(iptables[f]!.standaloneText)
                }
            }
        }
    }
}

/// A minimal JSON writer (strings are escaped; no Foundation needed).
final class JSONWriter {
    var out = ""
    private var needComma = [false]

    private func separate() {
        if needComma[needComma.count - 1] { out += "," }
        needComma[needComma.count - 1] = true
    }

    func object(_ body: () -> Void) {
        separate(); out += "{"; needComma.append(false); body(); needComma.removeLast(); out += "}"
    }

    func array<T>(_ items: [T], _ each: (T) -> Void) {
        separate(); out += "["; needComma.append(false)
        for i in items { each(i) }
        needComma.removeLast(); out += "]"
    }

    func key(_ k: String) {
        separate(); out += JSONText.string(k) + ":"
        needComma[needComma.count - 1] = false
    }

    func string(_ s: String) { separate(); out += JSONText.string(s) }
    func number(_ n: Int) { separate(); out += String(n) }

}
