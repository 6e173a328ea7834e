import Model
import SwitchyardCore

/// Every rule one service port contributes, in one family. Pure function of the port and the
/// node context, so the same port always renders the same text: that is what lets an
/// incremental sync delete old dispatch rules by their exact spec.
struct PortRules: Sendable, Equatable {
    /// The port's own nat chains, in render order.
    var chains: [(name: String, rules: [String])] = []
    /// nat `SWITCHYARD-DISPATCH` rules (cluster, external and load-balancer IPs).
    var dispatch: [String] = []
    /// nat `SWITCHYARD-NODEPORTS` rules.
    var nodePorts: [String] = []
    /// filter `SWITCHYARD-SERVICES` rules (REJECT / DROP).
    var filter: [String] = []
    /// filter `SWITCHYARD-CLUSTER-IPS` rule: REJECT what reaches the ClusterIP un-DNATed (a port
    /// the service does not define). One rule per port, so per-port deltas keep the chain exact.
    var clusterIPReject: [String] = []
    /// Hairpin ipset members (`EP,proto:port,EP`).
    var hairpin: Set<HairpinMember> = []

    static func == (a: PortRules, b: PortRules) -> Bool {
        a.chains.map(\.name) == b.chains.map(\.name) && a.chains.map(\.rules) == b.chains.map(\.rules)
            && a.dispatch == b.dispatch && a.nodePorts == b.nodePorts && a.filter == b.filter && a.hairpin == b.hairpin
            && a.clusterIPReject == b.clusterIPReject
    }

    /// Number of rules across every chain this port touches.
    var ruleCount: Int { chains.reduce(0) { $0 + $1.rules.count } + dispatch.count + nodePorts.count + filter.count + clusterIPReject.count }

    init() {}

    /// - Parameter hairpinSet: fill `hairpin` (a full render collects the members itself).
    init(_ p: ServicePort, _ ctx: IptablesContext, hairpinSet: Bool = true) {
        let key = p.key
        let id = IptablesNames.portID(key)
        let svc = IptablesNames.serviceChain(id: id)
        let match = IptablesFormat.dport(key.proto, p.port)
        let comment = IptablesFormat.Commenter(key.description, enabled: ctx.comments)
        let clusterIP = IptablesFormat.host(p.clusterIP)
        if hairpinSet { hairpin = Self.hairpinMembers(p) }
        clusterIPReject = ["-d " + clusterIP + " " + comment("undefined port of the cluster IP") + "-j REJECT"]

        // Internal (ClusterIP) path.
        var internalSet: EndpointSet? = nil
        if case .forward(let set) = p.internalTraffic, !p.endpoints(for: p.internalTraffic).isEmpty {
            internalSet = set
            var rules = Self.clusterMasqRules(p, ctx, host: clusterIP)
            rules += Self.dnat(p, p.endpoints(for: p.internalTraffic), ctx)
            chains.append((svc, rules))
            dispatch.append("-d " + clusterIP + " " + match + " " + comment("cluster IP") + "-j " + svc)
        } else {
            let (target, why) = Self.terminal(p.internalTraffic)
            filter.append("-d " + clusterIP + " " + match + " " + comment(why) + "-j " + target)
        }

        // External paths (NodePort, external IPs, load-balancer IPs).
        guard p.isExternallyAccessible else { return }
        let ext = IptablesNames.externalChain(id: id)
        let fw = IptablesNames.firewallChain(id: id), clu = IptablesNames.clusterChain(id: id)
        var extRules: [String] = []
        if case .forward(.cluster)? = p.externalShortCircuit, !p.clusterEndpoints.isEmpty {
            let target: String
            if internalSet == .cluster {
                target = svc
            } else {
                target = clu
                chains.append((clu, Self.dnat(p, p.clusterEndpoints, ctx)))
            }
            for cidr in ctx.podCIDRs {
                extRules.append("-s \(cidr) " + comment("pod traffic to external destinations goes to cluster endpoints") + "-j \(target)")
            }
            extRules.append("-m addrtype --src-type LOCAL " + comment("masquerade local traffic to external destinations") + ctx.markMasq)
            extRules.append("-m addrtype --src-type LOCAL " + comment("local traffic to external destinations goes to cluster endpoints") + "-j \(target)")
        }
        let extEndpoints = p.endpoints(for: p.externalTraffic)
        if case .forward(let set) = p.externalTraffic, !extEndpoints.isEmpty {
            if p.masqueradesExternal { extRules.append(ctx.markMasq) }
            if internalSet == set {
                extRules.append("-j \(svc)")
            } else {
                extRules += Self.dnat(p, extEndpoints, ctx)
            }
        }
        let hasExt = !extRules.isEmpty
        if hasExt { chains.append((ext, extRules)) }
        let firewalled = !p.loadBalancerSourceRanges.isEmpty && !p.loadBalancerIPs.isEmpty
        if firewalled && hasExt {
            var fwRules = p.loadBalancerSourceRanges.map {
                "-s \($0) " + comment("loadbalancer source range") + "-j \(ext)"
            }
            if ctx.nodeAddresses.contains(where: { ip in p.loadBalancerSourceRanges.contains { $0.contains(ip) } }) {
                fwRules += p.loadBalancerIPs.map { "-s \(IptablesFormat.host($0)) -j \(ext)" }
            }
            chains.append((fw, fwRules))
        }
        renderExternalEntries(p, ctx, match: match, comment: comment, ext: ext, fw: fw, hasExt: hasExt, firewalled: firewalled)
    }

    /// Dispatch, node-port and filter rules of the external addresses.
    private mutating func renderExternalEntries(_ p: ServicePort, _ ctx: IptablesContext, match: String, comment: IptablesFormat.Commenter,
                                                ext: String, fw: String, hasExt: Bool, firewalled: Bool) {
        let (terminal, why) = Self.terminal(p.externalTraffic)
        let externalBlocked: Bool = {
            if case .forward = p.externalTraffic, !p.endpoints(for: p.externalTraffic).isEmpty { return false }
            return true
        }()
        for ip in p.externalIPs {
            if hasExt {
                dispatch.append("-d \(IptablesFormat.host(ip)) \(match) " + comment("external IP") + "-j \(ext)")
            }
            if externalBlocked {
                filter.append("-d \(IptablesFormat.host(ip)) \(match) " + comment(why) + "-j \(terminal)")
            }
        }
        for ip in p.loadBalancerIPs {
            if hasExt {
                dispatch.append("-d \(IptablesFormat.host(ip)) \(match) " + comment("loadbalancer IP")
                    + "-j \(firewalled ? fw : ext)")
            }
            if firewalled {
                filter.append("-d \(IptablesFormat.host(ip)) \(match) " + comment("traffic not accepted by the loadbalancer firewall") + "-j DROP")
            } else if externalBlocked {
                filter.append("-d \(IptablesFormat.host(ip)) \(match) " + comment(why) + "-j \(terminal)")
            }
        }
        guard let np = p.nodePort else { return }
        let npMatch = IptablesFormat.dport(p.key.proto, np)
        if hasExt {
            nodePorts.append("\(npMatch) " + comment("node port") + "-j \(ext)")
        }
        guard externalBlocked else { return }
        switch ctx.nodePorts {
        case .allLocal:
            filter.append("-m addrtype --dst-type LOCAL \(npMatch) " + comment(why) + "-j \(terminal)")
        case .addresses(let ips):
            for ip in ips {
                filter.append("-d \(IptablesFormat.host(ip)) \(npMatch) " + comment(why) + "-j \(terminal)")
            }
        }
    }

    /// REJECT for `.reject` (and, defensively, a forward with no endpoints); DROP for `.drop`.
    static func terminal(_ d: TrafficDecision) -> (target: String, why: String) {
        if case .drop = d { return ("DROP", "has no local endpoints") }
        return ("REJECT", "has no endpoints")
    }

    /// The ClusterIP masquerade rule at the top of the service chain.
    static func clusterMasqRules(_ p: ServicePort, _ ctx: IptablesContext, host: String) -> [String] {
        let dst = "-d " + host + " "
        switch ctx.clusterMasquerade {
        case .none: return []
        case .all: return [dst + ctx.markMasq]
        case .sourcesOutside(let cidrs) where cidrs.count == 1: return [dst + "! -s \(cidrs[0]) " + ctx.markMasq]
        case .sourcesOutside: return [dst + "-j \(IptablesNames.natMasqNonPod)"]
        }
    }

    /// One DNAT rule per endpoint, picked at random with `statistic`; with ClientIP affinity a
    /// `recent` check per endpoint first (refreshing the entry), and `recent --set` on every pick.
    static func dnat(_ p: ServicePort, _ eps: [Endpoint], _ ctx: IptablesContext) -> [String] {
        let proto = "-p " + p.key.proto.lowercased + " "
        var rules: [String] = []
        rules.reserveCapacity(eps.count * (p.affinityTimeout == nil ? 1 : 2))
        // With affinity, each endpoint's `recent` list name is needed twice: hash it once.
        let lists = p.affinityTimeout == nil ? [] : eps.map { IptablesNames.affinityList(p.key, $0) }
        let mask = fullMask(ctx.family)
        // Targets are needed twice only with affinity; otherwise written straight into each rule.
        let targets: [String] = lists.isEmpty ? [] : eps.map { ep in
            var t = ""
            IptablesFormat.appendDNATTarget(ep, to: &t)
            return t
        }
        if let t = p.affinityTimeout {
            for (i, list) in lists.enumerated() {
                rules.append(proto + "-m recent --name \(list) --mask \(mask) --rsource --rcheck --seconds \(t) --reap "
                    + "-m recent --name \(list) --mask \(mask) --rsource --set -j DNAT --to-destination " + targets[i])
            }
        }
        // The fixed text around the probability as literals (fewer appends per rule, no allocation).
        let (random, last) = Self.dnatHeads(p.key.proto)
        let jump = lists.isEmpty ? " -j DNAT --to-destination " : " "
        for i in eps.indices {
            let remaining = eps.count - i
            // Appended in place: one allocation per rule.
            var rule = ""
            rule.reserveCapacity(120)
            if remaining > 1 {
                rule += random
                rule += IptablesFormat.probability(oneIn: remaining)
                rule += jump
            } else {
                rule += lists.isEmpty ? last : proto
            }
            if !lists.isEmpty {
                rule += "-m recent --name "; rule += lists[i]; rule += " --mask "; rule += mask; rule += " --rsource --set "
                rule += "-j DNAT --to-destination "
            }
            if targets.isEmpty { IptablesFormat.appendDNATTarget(eps[i], to: &rule) } else { rule += targets[i] }
            rules.append(rule)
        }
        return rules
    }

    /// `-p P -m statistic --mode random --probability ` and `-p P -j DNAT --to-destination `.
    static func dnatHeads(_ proto: L4Protocol) -> (random: String, last: String) {
        switch proto {
        case .tcp: return ("-p tcp -m statistic --mode random --probability ", "-p tcp -j DNAT --to-destination ")
        case .udp: return ("-p udp -m statistic --mode random --probability ", "-p udp -j DNAT --to-destination ")
        case .sctp: return ("-p sctp -m statistic --mode random --probability ", "-p sctp -j DNAT --to-destination ")
        }
    }

    /// Hairpin ipset members for every endpoint some DNAT rule of the port can pick.
    static func hairpinMembers(_ p: ServicePort) -> Set<HairpinMember> {
        var out = Set<HairpinMember>()
        forEachHairpinEndpoint(p) { out.insert(HairpinMember(ip: $0.ip, proto: p.key.proto, port: $0.port)) }
        return out
    }

    /// Calls `body` for every endpoint a DNAT rule of the port can pick (with repeats).
    static func forEachHairpinEndpoint(_ p: ServicePort, _ body: (Endpoint) -> Void) {
        p.endpoints(for: p.internalTraffic).forEach(body)
        guard p.isExternallyAccessible else { return }
        p.endpoints(for: p.externalTraffic).forEach(body)
        if case .forward(.cluster)? = p.externalShortCircuit { p.clusterEndpoints.forEach(body) }
    }

    static func fullMask(_ f: IPFamily) -> String { f == .ipv4 ? "255.255.255.255" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }
}

/// One member of the hairpin ipset: traffic from an endpoint to itself after DNAT.
struct HairpinMember: Hashable, Sendable, Comparable {
    var ip: IPAddress
    var proto: L4Protocol
    var port: UInt16
    /// `ipset` syntax: `10.244.1.5,tcp:8080,10.244.1.5`.
    var text: String {
        var out = ""
        IptablesFormat.appendAddress(ip, to: &out)
        out += ","; out += proto.lowercased; out += ":"; out += String(port); out += ","
        IptablesFormat.appendAddress(ip, to: &out)
        return out
    }
    /// Hashes the protocol by number (an enum with a String raw value hashes the string).
    func hash(into h: inout Hasher) { h.combine(ip); h.combine(proto.number); h.combine(port) }
    static func < (a: HairpinMember, b: HairpinMember) -> Bool {
        (a.ip, a.proto, a.port) < (b.ip, b.proto, b.port)
    }
}
