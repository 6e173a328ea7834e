import Model
import SwitchyardCore

/// A rule the applier keeps in a built-in chain (`iptables -C … || iptables -I …`), jumping to ours.
public struct IPVSIptablesJump: Hashable, Sendable {
    /// `nat` or `filter`.
    public var table: String
    /// The built-in chain (`PREROUTING`, `INPUT`, …).
    public var chain: String
    /// The rule's arguments after `-A CHAIN`, e.g. `-j SWITCHYARD-SERVICES`.
    public var rule: String

    public init(table: String, chain: String, rule: String) { self.table = table; self.chain = chain; self.rule = rule }
}

/// The small iptables ruleset IPVS mode needs for one family. Its text depends only on the node's
/// configuration (every per-service decision lives in ipset members), so an incremental sync never
/// rewrites it.
public struct IPVSIptablesRuleset: Hashable, Sendable {
    public var family: IPFamily
    /// `iptables-restore --noflush` text: declares (and so flushes) only our chains and fills them.
    public var restoreText: String
    /// Jumps from built-in chains into ours; the applier ensures each exists exactly once.
    public var jumps: [IPVSIptablesJump]

    /// `restoreText` plus the jumps as `-A` rules: a complete ruleset for a fresh namespace
    /// (`iptables-restore --test` or a flushing restore).
    public var standaloneText: String {
        var out = ""
        var table = ""
        for line in restoreText.split(separator: "\n") {
            if line.hasPrefix("*") { table = String(line.dropFirst()) }
            if line == "COMMIT" {
                for j in jumps where j.table == table { out += "-A \(j.chain) \(j.rule)\n" }
            }
            out += line + "\n"
        }
        return out
    }
}

/// What the iptables rules need to know, taken from the node's configuration.
struct IPVSIptablesInput: Hashable, Sendable {
    var family: IPFamily
    var clusterMasquerade: ClusterMasquerade
    var masqueradeMark: UInt32
    var randomFully: Bool
}

/// Chain names of IPVS mode.
enum IPVSChain {
    static let services = "SWITCHYARD-SERVICES"
    static let postrouting = "SWITCHYARD-POSTROUTING"
    static let markMasq = "SWITCHYARD-MARK-MASQ"
    static let nodePort = "SWITCHYARD-NODE-PORT"
    static let loadBalancer = "SWITCHYARD-LOAD-BALANCER"
    static let clusterMasq = "SWITCHYARD-CLUSTER-MASQ"
    static let forward = "SWITCHYARD-FORWARD"
    static let proxyFirewall = "SWITCHYARD-PROXY-FIREWALL"
    static let sourceRanges = "SWITCHYARD-SOURCE-RANGES"
    static let ipvsFilter = "SWITCHYARD-IPVS-FILTER"
    static let healthCheck = "SWITCHYARD-HEALTH-CHECK"
}

/// A tiny private `iptables-restore` text builder. Swap for RenderIptables' public
/// `IptablesRestoreBuilder` when it lands: only `table`, `chain`, `rule` and `text` are used.
struct RestoreTextBuilder {
    private var out = ""
    private var rules: [String] = []
    private var chains: [String] = []
    private var currentTable: String?

    mutating func table(_ name: String) {
        flush()
        currentTable = name
    }

    mutating func chain(_ name: String) { chains.append(name) }

    mutating func rule(_ chain: String, _ args: String) { rules.append("-A \(chain) \(args)") }

    private mutating func flush() {
        guard let t = currentTable else { return }
        out += "*\(t)\n"
        for c in chains { out += ":\(c) - [0:0]\n" }
        for r in rules { out += r + "\n" }
        out += "COMMIT\n"
        chains = []; rules = []; currentTable = nil
    }

    mutating func text() -> String { flush(); return out }
}

extension IPVSIptablesRuleset {
    /// The ruleset for one family (kube-proxy's IPVS-mode rules, with our chain and set names).
    static func make(_ input: IPVSIptablesInput) -> IPVSIptablesRuleset {
        let f = input.family
        func set(_ r: IPVSSetRole) -> String { r.name(f) }
        let mark = "0x" + String(input.masqueradeMark, radix: 16)
        var b = RestoreTextBuilder()
        var jumps: [IPVSIptablesJump] = []

        // nat: mark what must be masqueraded, masquerade marked packets and hairpin traffic.
        b.table("nat")
        var natChains = [IPVSChain.services, IPVSChain.postrouting, IPVSChain.markMasq, IPVSChain.nodePort, IPVSChain.loadBalancer]
        if case .sourcesOutside = input.clusterMasquerade { natChains.append(IPVSChain.clusterMasq) }
        natChains.forEach { b.chain($0) }
        for c in ["PREROUTING", "OUTPUT"] {
            jumps.append(IPVSIptablesJump(table: "nat", chain: c, rule: "-m comment --comment \"switchyard service portals\" -j \(IPVSChain.services)"))
        }
        jumps.append(IPVSIptablesJump(table: "nat", chain: "POSTROUTING", rule: "-m comment --comment \"switchyard postrouting\" -j \(IPVSChain.postrouting)"))

        b.rule(IPVSChain.postrouting, "-m comment --comment \"hairpin\" -m set --match-set \(set(.loopback)) dst,dst,src -j MASQUERADE")
        b.rule(IPVSChain.postrouting, "-m mark ! --mark \(mark)/\(mark) -j RETURN")
        b.rule(IPVSChain.postrouting, "-j MARK --xor-mark \(mark)")
        b.rule(IPVSChain.postrouting, "-m comment --comment \"service traffic requiring SNAT\" -j MASQUERADE" + (input.randomFully ? " --random-fully" : ""))
        b.rule(IPVSChain.markMasq, "-j MARK --or-mark \(mark)")

        // Cluster IPs: masquerade as `ProxyState.clusterMasquerade` decided.
        let clusterMatch = "-m set --match-set \(set(.clusterIP))"
        switch input.clusterMasquerade {
        case .all:
            b.rule(IPVSChain.services, "\(clusterMatch) dst,dst -j \(IPVSChain.markMasq)")
        case .sourcesOutside(let cidrs):
            b.rule(IPVSChain.services, "\(clusterMatch) dst,dst -j \(IPVSChain.clusterMasq)")
            for c in cidrs { b.rule(IPVSChain.clusterMasq, "-s \(c) -j RETURN") }
            b.rule(IPVSChain.clusterMasq, "-j \(IPVSChain.markMasq)")
        case .none:
            // Not a policy choice: the dummy interface makes the node pick a VIP as the source of
            // its own connections to a VIP; such packets must be masqueraded to get replies.
            b.rule(IPVSChain.services, "\(clusterMatch) src,dst -j \(IPVSChain.markMasq)")
        }
        // External IPs: eTP=Cluster masquerades (`ServicePort.masqueradesExternal`).
        b.rule(IPVSChain.services, "-m set --match-set \(set(.externalIP)) dst,dst -j \(IPVSChain.markMasq)")
        // Load balancers: eTP=Local returns, the rest is masqueraded.
        b.rule(IPVSChain.services, "-m set --match-set \(set(.loadBalancer)) dst,dst -j \(IPVSChain.loadBalancer)")
        b.rule(IPVSChain.loadBalancer, "-m set --match-set \(set(.loadBalancerLocal)) dst,dst -j RETURN")
        b.rule(IPVSChain.loadBalancer, "-j \(IPVSChain.markMasq)")
        // NodePorts on local addresses.
        b.rule(IPVSChain.services, "-m addrtype --dst-type LOCAL -j \(IPVSChain.nodePort)")
        for proto in L4Protocol.allCases {
            let roles = IPVSSetRole.nodePortRoles(proto)
            let dim = proto == .sctp ? "dst,dst" : "dst"
            b.rule(IPVSChain.nodePort, "-p \(proto.lowercased) -m set --match-set \(set(roles.local)) \(dim) -j RETURN")
            b.rule(IPVSChain.nodePort, "-p \(proto.lowercased) -m set --match-set \(set(roles.all)) \(dim) -j \(IPVSChain.markMasq)")
        }
        // Keep other nat rules away from IPVS traffic.
        for r in [IPVSSetRole.clusterIP, .loadBalancer, .externalIP, .externalIPLocal] {
            b.rule(IPVSChain.services, "-m set --match-set \(set(r)) dst,dst -j ACCEPT")
        }

        // filter: source ranges, reject/drop, forwarding of marked traffic, access filter.
        b.table("filter")
        [IPVSChain.forward, IPVSChain.proxyFirewall, IPVSChain.sourceRanges, IPVSChain.healthCheck, IPVSChain.ipvsFilter].forEach { b.chain($0) }
        for c in ["INPUT", "OUTPUT"] {
            jumps.append(IPVSIptablesJump(table: "filter", chain: c, rule: "-m conntrack --ctstate NEW -m comment --comment \"switchyard firewall\" -j \(IPVSChain.proxyFirewall)"))
        }
        jumps.append(IPVSIptablesJump(table: "filter", chain: "INPUT", rule: "-m comment --comment \"switchyard health checks\" -j \(IPVSChain.healthCheck)"))
        jumps.append(IPVSIptablesJump(table: "filter", chain: "INPUT", rule: "-m comment --comment \"switchyard ipvs access filter\" -j \(IPVSChain.ipvsFilter)"))
        jumps.append(IPVSIptablesJump(table: "filter", chain: "FORWARD", rule: "-m comment --comment \"switchyard forwarding\" -j \(IPVSChain.forward)"))

        b.rule(IPVSChain.proxyFirewall, "-m set --match-set \(set(.loadBalancerFirewall)) dst,dst -j \(IPVSChain.sourceRanges)")
        b.rule(IPVSChain.proxyFirewall, "-m comment --comment \"no endpoints\" -m set --match-set \(set(.reject)) dst,dst -j REJECT")
        b.rule(IPVSChain.proxyFirewall, "-m comment --comment \"no local endpoints\" -m set --match-set \(set(.drop)) dst,dst -j DROP")
        for proto in [L4Protocol.tcp, .udp] {
            let roles = IPVSSetRole.nodePortRoles(proto)
            let p = "-p \(proto.lowercased) -m addrtype --dst-type LOCAL"
            if let r = roles.reject { b.rule(IPVSChain.proxyFirewall, "\(p) -m set --match-set \(set(r)) dst -j REJECT") }
            if let d = roles.drop { b.rule(IPVSChain.proxyFirewall, "\(p) -m set --match-set \(set(d)) dst -j DROP") }
        }
        b.rule(IPVSChain.sourceRanges, "-m set --match-set \(set(.loadBalancerSourceCIDR)) dst,dst,src -j RETURN")
        b.rule(IPVSChain.sourceRanges, "-m set --match-set \(set(.loadBalancerSourceIP)) dst,dst,src -j RETURN")
        b.rule(IPVSChain.sourceRanges, "-m comment --comment \"source not in loadBalancerSourceRanges\" -j DROP")

        b.rule(IPVSChain.healthCheck, "-m set --match-set \(set(.healthCheckNodePort)) dst -j ACCEPT")

        b.rule(IPVSChain.forward, "-m mark --mark \(mark)/\(mark) -j ACCEPT")
        b.rule(IPVSChain.forward, "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")

        for r in [IPVSSetRole.loadBalancer, .clusterIP, .externalIP, .externalIPLocal] {
            b.rule(IPVSChain.ipvsFilter, "-m set --match-set \(set(r)) dst,dst -j RETURN")
        }
        b.rule(IPVSChain.ipvsFilter, "-m set --match-set \(set(.healthCheckNodePort)) dst -j RETURN")
        b.rule(IPVSChain.ipvsFilter, "-m conntrack --ctstate NEW -m set --match-set \(set(.ipvsIPs)) dst -j REJECT")

        return IPVSIptablesRuleset(family: f, restoreText: b.text(), jumps: jumps)
    }
}
