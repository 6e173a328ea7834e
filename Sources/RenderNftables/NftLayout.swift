import Model
import SwitchyardCore

/// The fixed part of one family's table: global sets and maps, base chains and dispatch rules.
struct NftLayout {
    let family: NftFamily
    let clusterMasquerade: ClusterMasquerade
    let nodePorts: NodePortAddresses

    private var h: String { family.header }
    private var a: String { family.addrType }

    /// Sets (isMap false) and maps (isMap true) of the table.
    var sets: [(NftSet, Bool)] {
        let frontend = "type \(a) . inet_proto . inet_service"
        let npFrontend = "type inet_proto . inet_service"
        return [
            (NftSet(NftNames.podCIDRs, spec: "type \(a)", flags: ["interval"]), false),
            (NftSet(NftNames.nodePortIPs, spec: "type \(a)"), false),
            (NftSet(NftNames.clusterIPs, spec: "type \(a)"), false),
            (NftSet(NftNames.hairpin, spec: "type \(a) . \(a)"), false),
            (NftSet(NftNames.rejectAddr, spec: frontend), false),
            (NftSet(NftNames.dropAddr, spec: frontend), false),
            (NftSet(NftNames.rejectNodePort, spec: npFrontend), false),
            (NftSet(NftNames.dropNodePort, spec: npFrontend), false),
            (NftSet(NftNames.firewallFrontends, spec: frontend), false),
            (NftSet(NftNames.firewallAllowed, spec: "\(frontend) . \(a)", flags: ["interval"]), false),
        ]
    }

    /// An empty chain whose name states what the shared chains' rules depend on (ruleset
    /// version — 2 since each path has its own endpoint maps, 3 since ClientIP affinity has shared
    /// chains per (path, count, timeout) and no verdict maps —, masquerade mode). A full sync that finds it in the kernel may keep the shared
    /// chains there as they are (it cannot re-add their rules: see the endpoint maps above).
    static func shapeMarker(_ masq: ClusterMasquerade) -> String {
        let p = NftNames.shapeMarkerPrefix
        switch masq {
        case .all: return p + "3-masq-all"
        case .none: return p + "3-masq-none"
        case .sourcesOutside: return p + "3-masq-outside"
        }
    }

    /// The endpoint map of a shared chain (`cip_eps_3`), keyed `frontend . index`.
    ///
    /// nft 1.0.6 refuses a rule that uses such a map once the map exists in the kernel
    /// ("conflicting protocols specified: ip vs. th"; `tcp dport` in the typeof would avoid it but
    /// makes nft add a `meta l4proto tcp` match to the rule). Hence one map per shared chain: a
    /// new endpoint count brings its map, chain and rule in one script, and existing shared
    /// chains are never rewritten (see `shapeMarker`).
    static func endpointMap(_ c: NftSharedChain, family: NftFamily) -> NftSet {
        let h = family.header
        let spec = c.isNodePort
            ? "typeof meta l4proto . th dport . numgen random mod 1 : \(h) daddr . th dport"
            : "typeof \(h) daddr . meta l4proto . th dport . numgen random mod 1 : \(h) daddr . th dport"
        return NftSet(c.endpointMap, spec: spec)
    }

    /// The frontend set of a shared chain (`cip_3`): plain keys, no verdicts.
    static func frontendSet(_ c: NftSharedChain, family: NftFamily) -> NftSet {
        NftSet(c.setName, spec: c.isNodePort ? "type inet_proto . inet_service" : "type \(family.addrType) . inet_proto . inet_service")
    }

    /// Matches a packet addressed to a NodePort address of this node.
    private var nodePortMatch: String {
        switch nodePorts {
        case .allLocal: return "fib daddr type local \(h) daddr != \(family.loopback)"
        case .addresses: return "\(h) daddr @\(NftNames.nodePortIPs)"
        }
    }

    /// Chains with their rules, in creation order.
    var chains: [(NftChain, [NftRule])] {
        let fe = "\(h) daddr . meta l4proto . th dport"
        let np = "meta l4proto . th dport"
        let firewall = NftRule("\(fe) @\(NftNames.firewallFrontends) \(fe) . \(h) saddr != @\(NftNames.firewallAllowed) drop")
        let checks = NftRule("ct state new jump \(NftNames.checks)")
        return [
            (NftChain(NftNames.services), [
                NftRule("\(h) saddr @\(NftNames.podCIDRs) jump \(NftNames.addrShortCircuitPodChain)"),
                NftRule("fib saddr type local jump \(NftNames.addrShortCircuitNodeChain)"),
                NftRule("jump \(NftNames.addrDispatchChain)"),
                NftRule("\(nodePortMatch) jump \(NftNames.nodePorts)"),
            ]),
            (NftChain(NftNames.nodePorts), [
                NftRule("\(h) saddr @\(NftNames.podCIDRs) jump \(NftNames.nodePortShortCircuitPodChain)"),
                NftRule("fib saddr type local jump \(NftNames.nodePortShortCircuitNodeChain)"),
                NftRule("jump \(NftNames.nodePortDispatchChain)"),
            ]),
            // Dispatch chains: one rule per count set and affinity set in use (appended by the
            // renderer: `NftRules.dispatch`, `NftAffinityChain.dispatchRule`).
            (NftChain(NftNames.addrShortCircuitPodChain), []),
            (NftChain(NftNames.addrShortCircuitNodeChain), []),
            (NftChain(NftNames.addrDispatchChain), []),
            (NftChain(NftNames.nodePortShortCircuitPodChain), []),
            (NftChain(NftNames.nodePortShortCircuitNodeChain), []),
            (NftChain(NftNames.nodePortDispatchChain), []),
            (NftChain(NftNames.checks), [
                NftRule("\(fe) @\(NftNames.dropAddr) drop"),
                NftRule("meta l4proto tcp \(fe) @\(NftNames.rejectAddr) reject with tcp reset"),
                NftRule("\(fe) @\(NftNames.rejectAddr) reject"),
                NftRule("\(nodePortMatch) \(np) @\(NftNames.dropNodePort) drop"),
                NftRule("meta l4proto tcp \(nodePortMatch) \(np) @\(NftNames.rejectNodePort) reject with tcp reset"),
                NftRule("\(nodePortMatch) \(np) @\(NftNames.rejectNodePort) reject"),
                NftRule("meta l4proto tcp \(h) daddr @\(NftNames.clusterIPs) reject with tcp reset"),
                NftRule("\(h) daddr @\(NftNames.clusterIPs) reject"),
            ]),
            (NftChain("nat-prerouting", hook: NftHook(type: "nat", hook: "prerouting", priority: -100)), [NftRule("jump \(NftNames.services)")]),
            (NftChain("nat-output", hook: NftHook(type: "nat", hook: "output", priority: -100)), [NftRule("jump \(NftNames.services)")]),
            (NftChain("nat-postrouting", hook: NftHook(type: "nat", hook: "postrouting", priority: 100)), [
                NftRule("meta mark & \(NftNames.markBit) == \(NftNames.markBit) meta mark set meta mark ^ \(NftNames.markBit) masquerade fully-random"),
                NftRule("ct status dnat \(h) saddr . \(h) daddr @\(NftNames.hairpin) masquerade fully-random"),
            ]),
            (NftChain("filter-prerouting-pre-dnat", hook: NftHook(type: "filter", hook: "prerouting", priority: -110)), [firewall]),
            (NftChain("filter-output-pre-dnat", hook: NftHook(type: "filter", hook: "output", priority: -110)), [firewall]),
            (NftChain("filter-input", hook: NftHook(type: "filter", hook: "input", priority: 0)), [checks]),
            (NftChain("filter-forward", hook: NftHook(type: "filter", hook: "forward", priority: 0)), [checks]),
            (NftChain("filter-output", hook: NftHook(type: "filter", hook: "output", priority: 0)), [checks]),
            (NftChain(Self.shapeMarker(clusterMasquerade)), []),
        ]
    }

    /// Elements of the global sets that come from node configuration, not from ports.
    func configElements(podCIDRs: [CIDR]) -> [(String, [NftElement])] {
        var out: [(String, [NftElement])] = []
        if !podCIDRs.isEmpty { out.append((NftNames.podCIDRs, podCIDRs.sorted().map { NftElement(.prefix($0)) })) }
        if case .addresses(let ips) = nodePorts, !ips.isEmpty {
            out.append((NftNames.nodePortIPs, Array(Set(ips)).sorted().map { NftElement(.address($0)) }))
        }
        return out
    }
}
