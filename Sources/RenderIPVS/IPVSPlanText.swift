import SwitchyardCore

extension IPVSPlan {
    /// A readable plan: dummy-interface addresses, ipvsadm-save style virtual servers, `ipset
    /// restore` text, then each family's `iptables-restore --noflush` text and its jumps.
    public var text: String {
        var out = ""
        var lines = addresses.count + ipsets.values.reduce(0) { $0 + $1.members.count }
        for vs in virtualServers.values { lines += 2 + vs.destinations.count }
        out.reserveCapacity(lines * 72)
        out += "# addresses on \(IPVSPlan.dummyInterface)\n"
        for a in addresses.sorted() {
            out += "ip "; out += IPVSPlan.holdCommand("add", a); out += "\n"
        }
        out += "# ipvsadm-restore\n"
        for part in Self.inChunks(sortedVirtualServers, Self.appendVirtualServer) { out += part }
        out += "# ipset restore\n" + ipsetRestoreText
        for f in iptables.keys.sorted() {
            let r = iptables[f]!
            out += "# \(f == .ipv4 ? "iptables" : "ip6tables")-restore --noflush\n" + r.restoreText
            for j in r.jumps { out += "# ensure: -t \(j.table) -A \(j.chain) \(j.rule)\n" }
        }
        return out
    }

    /// One virtual server's comment, `-A` line and `-a` lines.
    static func appendVirtualServer(_ vs: IPVSVirtualServer, to out: inout String) {
        if let o = vs.origin { out += "# \(o) \(o.proto.rawValue)\n" }
        out += vs.service.ipvsadmLine; out += "\n"
        // `IPVSVirtualServer.destinationLine`, with the selector formatted once per server.
        let selector = vs.key.ipvsadmSelector
        for d in vs.destinations {
            out += "-a "; out += selector; out += " -r "
            IPVSPlan.appendHostPort(d.address, d.port, to: &out)
            out += " "; out += d.forwarding.ipvsadmFlag; out += " -w "; out += String(d.weight); out += "\n"
        }
    }

    /// The text of `items` in order, formatted in contiguous chunks on every core (`ParallelMap`);
    /// the caller concatenates the chunks.
    static func inChunks<T: Sendable>(_ items: [T], _ append: @escaping @Sendable (T, inout String) -> Void) -> [String] {
        let chunks = items.count >= 2048 ? 4 * ParallelMap.workers() : 1
        let bounds = (0..<chunks).map { c in (items.count * c / chunks)..<(items.count * (c + 1) / chunks) }
        return ParallelMap.map(bounds, minimumChunk: 1) { r in
            var s = ""
            s.reserveCapacity(r.count * 160)
            for i in r { append(items[i], &s) }
            return s
        }
    }

    /// Appends `IPVSServiceKey.hostPort(ip, port)` (`10.0.0.1:80`, `[fd00::1]:80`); IPv4 from a table of octets.
    static func appendHostPort(_ ip: IPAddress, _ port: UInt16, to out: inout String) {
        if ip.family == .ipv4 {
            let v = ip.v4Value
            out += octets[Int(v >> 24)]; out += "."; out += octets[Int((v >> 16) & 0xff)]; out += "."
            out += octets[Int((v >> 8) & 0xff)]; out += "."; out += octets[Int(v & 0xff)]
        } else {
            out += "["; out += ip.description; out += "]"
        }
        out += ":"; out += String(port)
    }

    private static let octets: [String] = (0..<256).map { String($0) }

    /// `ipset restore` text for every set (create lines, then add lines).
    public var ipsetRestoreText: String {
        var out = ""
        for s in sortedIPSets {
            out += s.createLine; out += "\n"
            let prefix = "add \(s.name) "
            for part in Self.inChunks(s.members.sorted(), { m, o in o += prefix; o += m.description; o += "\n" }) { out += part }
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
