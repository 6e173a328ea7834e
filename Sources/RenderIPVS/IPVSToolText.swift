import Render
import SwitchyardCore

/// An IPVS plan or operation list as the input of the stock tools — `ip -batch FILE`, `ipset
/// restore`, `ipvsadm -R` and `iptables-restore --noflush` — so the same kernel work can be done
/// with no Switchyard in the path (the bench's kernel floor). Only tool syntax, no comments: every
/// line is a command the tool executes.
///
/// `ipvsadm -R` rather than `ipvsadm-restore`: the latter is a wrapper that runs `ipvsadm -C`
/// (clearing every virtual server) before `ipvsadm -R`, which would wipe the table under a delta.
public enum IPVSToolText {
    /// `RenderedPart.command` of each tool (what `name` does not say).
    public static let ipBatch = "ip -batch"
    public static let ipsetRestore = "ipset restore"
    public static let ipvsadmRestore = "ipvsadm -R"

    /// The whole plan for a namespace that holds nothing of ours: the dummy interface with its
    /// addresses (`ip -batch`), the sets with their members, the virtual servers with their real
    /// servers, then each family's iptables rules with the jumps from the built-in chains.
    public static func full(_ plan: IPVSPlan) -> [RenderedPart] {
        var ip = "link add \(IPVSPlan.dummyInterface) type dummy\n"
        for a in plan.addresses.sorted() { ip += addressLine("add", a) }
        var w = ASCIIBuffer(capacity: plan.virtualServers.values.reduce(0) { $0 + 1 + $1.destinations.count } * 56)
        for vs in plan.sortedVirtualServers {
            w.write(vs.service.ipvsadmLine); w.write(byte: UInt8(ascii: "\n"))
            let prefix = ASCIIBuffer.destinationPrefix("-a", vs.key)
            for d in vs.destinations { w.write(destination: d, after: prefix) }
        }
        let ipvs = w.string
        var out = [RenderedPart(name: "ip-batch.txt", command: ipBatch, text: ip),
                   RenderedPart(name: "ipset.txt", command: ipsetRestore, text: plan.ipsetRestoreText),
                   RenderedPart(name: "ipvsadm.txt", command: ipvsadmRestore, text: ipvs)]
        for f in plan.iptables.keys.sorted() {
            guard let r = plan.iptables[f] else { continue }
            out.append(iptablesPart(family: f, text: r.standaloneText, index: nil))
        }
        return out
    }

    /// An operation list (as ordered by `IPVSPlan.operations(from:to:)`) as tool input, one part
    /// per run of consecutive operations on the same tool, so the order holds across tools (sets
    /// before the destinations, old destinations before their members leave the sets). Drains
    /// become `-e … -w 0`, as the applier sets them; an incremental iptables restore feeds the
    /// ruleset's `--noflush` text (its jumps already exist). `removeIptables` has no text: it only
    /// follows a change of the configured families.
    public static func delta(_ ops: [IPVSOperation]) -> [RenderedPart] {
        var parts: [RenderedPart] = []
        var tool = "", family: IPFamily = .ipv4, text = ""
        func flush() {
            guard !text.isEmpty else { return }
            let n = parts.count
            switch tool {
            case ipBatch: parts.append(RenderedPart(name: "\(n)-ip-batch.txt", command: ipBatch, text: text))
            case ipsetRestore: parts.append(RenderedPart(name: "\(n)-ipset.txt", command: ipsetRestore, text: text))
            case ipvsadmRestore: parts.append(RenderedPart(name: "\(n)-ipvsadm.txt", command: ipvsadmRestore, text: text))
            default: parts.append(iptablesPart(family: family, text: text, index: n))
            }
            text = ""
        }
        func use(_ t: String, _ f: IPFamily = .ipv4) {
            if t != tool || f != family { flush(); tool = t; family = f }
        }
        for op in ops {
            switch op {
            case .createSet(let s): use(ipsetRestore); text += s.createLine + "\n"
            case .addSetMember(let n, let m): use(ipsetRestore); text += "add \(n) \(m)\n"
            case .deleteSetMember(let n, let m): use(ipsetRestore); text += "del \(n) \(m)\n"
            case .destroySet(let n): use(ipsetRestore); text += "destroy \(n)\n"
            case .addAddress(let a): use(ipBatch); text += addressLine("add", a)
            case .deleteAddress(let a): use(ipBatch); text += addressLine("del", a)
            case .addService(let s): use(ipvsadmRestore); text += s.ipvsadmLine + "\n"
            case .updateService(let s): use(ipvsadmRestore); text += "-E" + s.ipvsadmLine.dropFirst(2) + "\n"
            case .deleteService(let k): use(ipvsadmRestore); text += "-D \(k.ipvsadmSelector)\n"
            case .addDestination(let k, let d): use(ipvsadmRestore); appendDestination("-a", k, d, to: &text)
            case .updateDestination(let k, let d, _): use(ipvsadmRestore); appendDestination("-e", k, d, to: &text)
            case .deleteDestination(let k, let d): use(ipvsadmRestore); text += "-d \(k.ipvsadmSelector) -r \(d)\n"
            case .restoreIptables(let r): use("iptables", r.family); text += r.restoreText
            case .removeIptables: continue
            }
        }
        flush()
        return parts
    }

    /// `route add local 10.96.0.1/32 dev switchyard-ipvs table local proto 83` or `address add
    /// fd00::1/128 dev switchyard-ipvs` (an `ip -batch` line: `ip` without its name).
    static func addressLine(_ verb: String, _ a: IPAddress) -> String { IPVSPlan.holdCommand(verb, a) + "\n" }

    /// `-a -t 10.96.0.1:80 -r 10.244.1.5:8080 -m -w 1` (or `-e`): forwarding and weight always
    /// given, since `ipvsadm -e` without `-m` would switch the real server to direct routing.
    static func appendDestination(_ verb: String, _ key: IPVSServiceKey, _ d: IPVSDestination, to out: inout String) {
        var w = ASCIIBuffer(capacity: 96)
        w.write(destination: d, after: ASCIIBuffer.destinationPrefix(verb, key))
        out += w.string
    }

    /// `iptables-restore` / `ip6tables-restore` input; the name ends in the family (`.ipv4`/`.ipv6`).
    static func iptablesPart(family f: IPFamily, text: String, index: Int?) -> RenderedPart {
        let tool = f == .ipv4 ? "iptables-restore" : "ip6tables-restore"
        let name = (index.map { "\($0)-" } ?? "") + "\(tool).\(f == .ipv4 ? "ipv4" : "ipv6")"
        return RenderedPart(name: name, command: "\(tool) --noflush", text: text)
    }
}
