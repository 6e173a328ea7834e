import Model
import SwitchyardCore

/// The one definition of every rule a service port contributes, in one family, written into a
/// `PortRuleSink`: as rule lists (`PortRules`, compared and deleted by exact spec on incremental
/// syncs) or as finished restore lines (`PortTextChunk`, the full render). A pure function of
/// the port and the node context, so the same port always renders the same text.
///
/// Chains are begun in render order (service, cluster, external, firewall), each written whole
/// before the next; rules of the shared chains (dispatch, node ports, filter) may come between.
enum PortRuleWriter {
    static func write<S: PortRuleSink>(_ p: ServicePort, _ ctx: IptablesContext, into s: inout S) {
        let key = p.key
        let id = IptablesNames.portID(key)
        let svc = IptablesNames.serviceChain(id: id)
        let comment = IptablesFormat.Commenter(ctx.comments ? key.description : "", enabled: ctx.comments)
        s.beginRule(.clusterIPs)
        s.write("-d "); s.write(host: p.clusterIP); s.write(" "); s.write(comment("undefined port of the cluster IP")); s.write("-j REJECT")
        s.endRule()

        // Internal (ClusterIP) path.
        var internalSet: EndpointSet? = nil
        let internalEndpoints = p.endpoints(for: p.internalTraffic)
        if case .forward(let set) = p.internalTraffic, !internalEndpoints.isEmpty {
            internalSet = set
            s.beginChain(svc)
            if let tail = ctx.clusterMasqTail {
                s.beginRule(.chain); s.write("-d "); s.write(host: p.clusterIP); s.write(" "); s.write(tail); s.endRule()
            }
            dnat(p, internalEndpoints, ctx, into: &s)
            s.beginRule(.dispatch)
            s.write("-d "); s.write(host: p.clusterIP); s.write(" "); s.write(dport: key.proto, p.port); s.write(" ")
            s.write(comment("cluster IP")); s.write("-j "); s.write(svc)
            s.endRule()
        } else {
            let (target, why) = terminal(p.internalTraffic)
            s.beginRule(.filter)
            s.write("-d "); s.write(host: p.clusterIP); s.write(" "); s.write(dport: key.proto, p.port); s.write(" ")
            s.write(comment(why)); s.write("-j "); s.write(target)
            s.endRule()
        }

        // External paths (NodePort, external IPs, load-balancer IPs).
        guard p.isExternallyAccessible else { return }
        var shortCircuit = false
        if case .forward(.cluster)? = p.externalShortCircuit, !p.clusterEndpoints.isEmpty { shortCircuit = true }
        let extEndpoints = p.endpoints(for: p.externalTraffic)
        var externalSet: EndpointSet? = nil
        if case .forward(let set) = p.externalTraffic, !extEndpoints.isEmpty { externalSet = set }
        let hasExt = shortCircuit || externalSet != nil
        let ext = hasExt ? IptablesNames.externalChain(id: id) : ""
        if hasExt {
            var target = svc
            if shortCircuit && internalSet != .cluster {
                target = IptablesNames.clusterChain(id: id)
                s.beginChain(target)
                dnat(p, p.clusterEndpoints, ctx, into: &s)
            }
            s.beginChain(ext)
            if shortCircuit {
                for cidr in ctx.podCIDRTexts {
                    s.beginRule(.chain)
                    s.write("-s "); s.write(cidr); s.write(" ")
                    s.write(comment("pod traffic to external destinations goes to cluster endpoints")); s.write("-j "); s.write(target)
                    s.endRule()
                }
                s.beginRule(.chain)
                s.write("-m addrtype --src-type LOCAL "); s.write(comment("masquerade local traffic to external destinations")); s.write(ctx.markMasq)
                s.endRule()
                s.beginRule(.chain)
                s.write("-m addrtype --src-type LOCAL "); s.write(comment("local traffic to external destinations goes to cluster endpoints"))
                s.write("-j "); s.write(target)
                s.endRule()
            }
            if let set = externalSet {
                if p.masqueradesExternal { s.rule(.chain, ctx.markMasq) }
                if internalSet == set {
                    s.beginRule(.chain); s.write("-j "); s.write(svc); s.endRule()
                } else {
                    dnat(p, extEndpoints, ctx, into: &s)
                }
            }
        }
        let firewalled = !p.loadBalancerSourceRanges.isEmpty && !p.loadBalancerIPs.isEmpty
        let fw = firewalled ? IptablesNames.firewallChain(id: id) : ""
        if firewalled && hasExt {
            s.beginChain(fw)
            for range in p.loadBalancerSourceRanges {
                s.beginRule(.chain)
                s.write("-s "); s.write(range.description); s.write(" "); s.write(comment("loadbalancer source range")); s.write("-j "); s.write(ext)
                s.endRule()
            }
            if ctx.nodeAddresses.contains(where: { ip in p.loadBalancerSourceRanges.contains { $0.contains(ip) } }) {
                for ip in p.loadBalancerIPs {
                    s.beginRule(.chain); s.write("-s "); s.write(host: ip); s.write(" -j "); s.write(ext); s.endRule()
                }
            }
        }
        externalEntries(p, ctx, comment: comment, ext: ext, fw: fw, hasExt: hasExt, firewalled: firewalled,
                        blocked: externalSet == nil, into: &s)
    }

    /// Dispatch, node-port and filter rules of the external addresses. `blocked`: the external
    /// path forwards nowhere (its REJECT / DROP rules are written).
    private static func externalEntries<S: PortRuleSink>(_ p: ServicePort, _ ctx: IptablesContext, comment: IptablesFormat.Commenter,
                                                         ext: String, fw: String, hasExt: Bool, firewalled: Bool, blocked: Bool,
                                                         into s: inout S) {
        let (terminal, why) = Self.terminal(p.externalTraffic)
        /// `-d IP/32 -p P -m P --dport N COMMENT-j TARGET` in `section`.
        func entry(_ section: PortRuleSection, _ ip: IPAddress, _ note: String, _ target: String) {
            s.beginRule(section)
            s.write("-d "); s.write(host: ip); s.write(" "); s.write(dport: p.key.proto, p.port); s.write(" ")
            s.write(comment(note)); s.write("-j "); s.write(target)
            s.endRule()
        }
        for ip in p.externalIPs {
            if hasExt { entry(.dispatch, ip, "external IP", ext) }
            if blocked { entry(.filter, ip, why, terminal) }
        }
        for ip in p.loadBalancerIPs {
            if hasExt { entry(.dispatch, ip, "loadbalancer IP", firewalled ? fw : ext) }
            if firewalled {
                entry(.filter, ip, "traffic not accepted by the loadbalancer firewall", "DROP")
            } else if blocked {
                entry(.filter, ip, why, terminal)
            }
        }
        guard let np = p.nodePort else { return }
        if hasExt {
            s.beginRule(.nodePorts)
            s.write(dport: p.key.proto, np); s.write(" "); s.write(comment("node port")); s.write("-j "); s.write(ext)
            s.endRule()
        }
        guard blocked else { return }
        switch ctx.nodePorts {
        case .allLocal:
            s.beginRule(.filter)
            s.write("-m addrtype --dst-type LOCAL "); s.write(dport: p.key.proto, np); s.write(" "); s.write(comment(why))
            s.write("-j "); s.write(terminal)
            s.endRule()
        case .addresses(let ips):
            for ip in ips {
                s.beginRule(.filter)
                s.write("-d "); s.write(host: ip); s.write(" "); s.write(dport: p.key.proto, np); s.write(" "); s.write(comment(why))
                s.write("-j "); s.write(terminal)
                s.endRule()
            }
        }
    }

    /// REJECT for `.reject` (and, defensively, a forward with no endpoints); DROP for `.drop`.
    static func terminal(_ d: TrafficDecision) -> (target: String, why: String) {
        if case .drop = d { return ("DROP", "has no local endpoints") }
        return ("REJECT", "has no endpoints")
    }

    /// One DNAT rule per endpoint, picked at random with `statistic`; with ClientIP affinity a
    /// `recent` check per endpoint first (refreshing the entry), and `recent --set` on every pick.
    static func dnat<S: PortRuleSink>(_ p: ServicePort, _ eps: [Endpoint], _ ctx: IptablesContext, into s: inout S) {
        let proto = p.key.proto
        let (head, random, last) = dnatHeads(proto)
        guard let timeout = p.affinityTimeout else {
            for i in eps.indices {
                s.beginRule(.chain)
                let remaining = eps.count - i
                if remaining > 1 {
                    if remaining < randomDNATHeads.count {
                        s.write(randomDNATHeads[remaining][index(proto)])
                    } else {
                        s.write(random); s.write(IptablesFormat.probability(oneIn: remaining)); s.write(" -j DNAT --to-destination ")
                    }
                } else {
                    s.write(last)
                }
                s.write(target: eps[i])
                s.endRule()
            }
            return
        }
        // Each endpoint's `recent` list name is needed twice: hash it once.
        let lists = eps.map { IptablesNames.affinityList(p.key, $0) }
        let mask = fullMask(ctx.family)
        /// `-m recent --name LIST --mask MASK --rsource `.
        func recent(_ list: String) {
            s.write("-m recent --name "); s.write(list); s.write(" --mask "); s.write(mask); s.write(" --rsource ")
        }
        for i in eps.indices {
            s.beginRule(.chain)
            s.write(head); recent(lists[i]); s.write("--rcheck --seconds "); s.write(number: timeout); s.write(" --reap ")
            recent(lists[i]); s.write("--set -j DNAT --to-destination "); s.write(target: eps[i])
            s.endRule()
        }
        for i in eps.indices {
            s.beginRule(.chain)
            let remaining = eps.count - i
            if remaining > 1 {
                s.write(random); s.write(IptablesFormat.probability(oneIn: remaining)); s.write(" ")
            } else {
                s.write(head)
            }
            recent(lists[i]); s.write("--set -j DNAT --to-destination "); s.write(target: eps[i])
            s.endRule()
        }
    }

    /// `-p P -m statistic --mode random --probability 1/K -j DNAT --to-destination `, by K
    /// (2 ..< 64, empty below) and `index(P)`: the fixed text before the target of most DNAT rules.
    private static let randomDNATHeads: [[String]] = (0..<64).map { k in
        [L4Protocol.tcp, .udp, .sctp].map { k < 2 ? "" : dnatHeads($0).random + IptablesFormat.probability(oneIn: k) + " -j DNAT --to-destination " }
    }

    /// The protocol's position in `randomDNATHeads[k]`.
    private static func index(_ proto: L4Protocol) -> Int {
        switch proto {
        case .tcp: return 0
        case .udp: return 1
        case .sctp: return 2
        }
    }

    /// `-p P `, `-p P -m statistic --mode random --probability ` and `-p P -j DNAT --to-destination `.
    static func dnatHeads(_ proto: L4Protocol) -> (head: String, random: String, last: String) {
        switch proto {
        case .tcp: return ("-p tcp ", "-p tcp -m statistic --mode random --probability ", "-p tcp -j DNAT --to-destination ")
        case .udp: return ("-p udp ", "-p udp -m statistic --mode random --probability ", "-p udp -j DNAT --to-destination ")
        case .sctp: return ("-p sctp ", "-p sctp -m statistic --mode random --probability ", "-p sctp -j DNAT --to-destination ")
        }
    }

    static func fullMask(_ f: IPFamily) -> String { f == .ipv4 ? "255.255.255.255" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }
}
