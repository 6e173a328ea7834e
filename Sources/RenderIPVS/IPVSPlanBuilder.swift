import Model
import SwitchyardCore

/// Options of the IPVS renderer that do not come from `ProxyState`.
public struct IPVSOptions: Hashable, Sendable {
    /// The masquerade mark bit (kube-proxy's default 0x4000).
    public var masqueradeMark: UInt32
    /// Use `MASQUERADE --random-fully`.
    public var randomFully: Bool
    /// The node's local addresses (resolved by the applier from its interfaces, excluding the dummy
    /// interface). Used when `ProxyState.nodePortAddresses(family:)` is `.allLocal`, as kube-proxy
    /// does. When none are known for a family, NodePort virtual servers are planned on the
    /// unspecified address (`0.0.0.0` / `::`), a placeholder meaning "every local address" that the
    /// applier expands; SCTP NodePort set members (keyed by address) are then omitted.
    public var localAddresses: [IPAddress]

    public init(masqueradeMark: UInt32 = 0x4000, randomFully: Bool = true, localAddresses: [IPAddress] = []) {
        self.masqueradeMark = masqueradeMark; self.randomFully = randomFully; self.localAddresses = localAddresses
    }
}

/// Translates service ports into plan contributions. Holds only per-node context computed once.
struct IPVSPlanBuilder: Sendable {
    var defaultScheduler: String
    /// NodePort addresses per family; the unspecified address stands for "every local address".
    var nodePortTargets: [IPFamily: [IPAddress]]
    /// Node addresses (for the LB source-IP allowance).
    var nodeAddresses: [IPAddress]
    var families: [IPFamily]
    var options: IPVSOptions
    var state: ProxyState

    init(state: ProxyState, options: IPVSOptions) {
        self.state = state
        self.options = options
        defaultScheduler = state.config.ipvsScheduler
        nodeAddresses = state.node.addresses
        families = state.config.families.sorted()
        var targets: [IPFamily: [IPAddress]] = [:]
        for f in IPFamily.allCases {
            switch state.nodePortAddresses(family: f) {
            case .addresses(let a): targets[f] = a.sorted()
            case .allLocal:
                let local = Set(options.localAddresses.filter { $0.family == f && !$0.isLoopback && !$0.isLinkLocal }).sorted()
                targets[f] = local.isEmpty ? [f == .ipv4 ? IPAddress(v4: 0) : IPAddress(v6High: 0, low: 0)] : local
            }
        }
        nodePortTargets = targets
    }

    /// A plan with every set (empty) and the iptables rules of every configured family.
    func skeleton() -> IPVSPlan {
        var plan = IPVSPlan()
        for f in families {
            for r in IPVSSetRole.allCases { plan.ipsets[r.name(f)] = IPVSIPSet(role: r, family: f) }
            plan.iptables[f] = IPVSIptablesRuleset.make(IPVSIptablesInput(
                family: f, clusterMasquerade: state.clusterMasquerade(family: f),
                masqueradeMark: options.masqueradeMark, randomFully: options.randomFully))
        }
        return plan
    }

    /// The complete plan.
    func plan() -> IPVSPlan {
        var plan = skeleton()
        for p in state.allPorts where state.config.families.contains(p.key.family) { add(p, to: &plan) }
        return plan
    }

    /// Adds everything one service port contributes.
    func add<S: IPVSPlanSink>(_ p: ServicePort, to plan: inout S) {
        let f = p.key.family
        let proto = p.key.proto
        addClusterIP(p, to: &plan)
        for ip in p.externalIPs where ip.family == f {
            addVIP(ip, p, decision: p.externalTraffic, to: &plan)
            plan.add(.ipPort(ip, proto, p.port), to: p.masqueradesExternal ? .externalIP : .externalIPLocal, family: f)
        }
        for ip in p.loadBalancerIPs where ip.family == f { addLoadBalancer(ip, p, to: &plan) }
        if let np = p.nodePort { addNodePort(np, p, to: &plan) }
        if let hc = p.healthCheckNodePort { plan.add(.port(hc), to: .healthCheckNodePort, family: f) }
        for ep in p.allReachableEndpoints where ep.isLocal && ep.ip.family == f {
            plan.add(.ipPortIP(ep.ip, proto, ep.port, ep.ip), to: .loopback, family: f)
        }
    }

    private func virtualServer(_ key: IPVSServiceKey, _ p: ServicePort, _ decision: TrafficDecision) -> IPVSVirtualServer {
        let scheduler = p.ipvsScheduler ?? defaultScheduler
        var flags: IPVSServiceFlags = []
        var timeout: UInt32 = 0
        if let t = p.affinityTimeout { flags.insert(.persistent); timeout = t }
        if scheduler == "mh" { flags.insert(.sched2) }
        let endpoints = p.endpoints(for: decision)
        var dests: [IPVSDestination] = []
        dests.reserveCapacity(endpoints.count)
        for e in endpoints where e.ip.family == key.family { dests.append(IPVSDestination(address: e.ip, port: e.port)) }
        return IPVSVirtualServer(service: IPVSService(key: key, scheduler: scheduler, flags: flags, timeout: timeout),
                                 destinations: dests, origin: p.key)
    }

    /// A service address on the dummy interface: virtual server, address, access-filter and reject/drop sets.
    private func addVIP<S: IPVSPlanSink>(_ ip: IPAddress, _ p: ServicePort, decision: TrafficDecision, to plan: inout S) {
        let f = p.key.family
        plan.add(virtualServer(.inet(proto: p.key.proto, address: ip, port: p.port), p, decision))
        plan.addAddress(ip)
        plan.add(.ip(ip), to: .ipvsIPs, family: f)
        switch decision {
        case .reject: plan.add(.ipPort(ip, p.key.proto, p.port), to: .reject, family: f)
        case .drop: plan.add(.ipPort(ip, p.key.proto, p.port), to: .drop, family: f)
        case .forward: break
        }
    }

    private func addClusterIP<S: IPVSPlanSink>(_ p: ServicePort, to plan: inout S) {
        addVIP(p.clusterIP, p, decision: p.internalTraffic, to: &plan)
        plan.add(.ipPort(p.clusterIP, p.key.proto, p.port), to: .clusterIP, family: p.key.family)
    }

    private func addLoadBalancer<S: IPVSPlanSink>(_ ip: IPAddress, _ p: ServicePort, to plan: inout S) {
        let f = p.key.family
        let proto = p.key.proto
        addVIP(ip, p, decision: p.externalTraffic, to: &plan)
        plan.add(.ipPort(ip, proto, p.port), to: .loadBalancer, family: f)
        if !p.masqueradesExternal { plan.add(.ipPort(ip, proto, p.port), to: .loadBalancerLocal, family: f) }
        let ranges = p.loadBalancerSourceRanges.filter { $0.family == f }
        guard !ranges.isEmpty else { return }
        plan.add(.ipPort(ip, proto, p.port), to: .loadBalancerFirewall, family: f)
        for r in ranges { plan.add(.ipPortNet(ip, proto, p.port, r), to: .loadBalancerSourceCIDR, family: f) }
        if nodeAddresses.contains(where: { n in ranges.contains { $0.contains(n) } }) {
            plan.add(.ipPortIP(ip, proto, p.port, ip), to: .loadBalancerSourceIP, family: f)
        }
    }

    private func addNodePort<S: IPVSPlanSink>(_ np: UInt16, _ p: ServicePort, to plan: inout S) {
        let f = p.key.family
        let proto = p.key.proto
        let roles = IPVSSetRole.nodePortRoles(proto)
        for addr in nodePortTargets[f] ?? [] {
            plan.add(virtualServer(.inet(proto: proto, address: addr, port: np), p, p.externalTraffic))
            guard proto == .sctp, !addr.isUnspecified else { continue }
            plan.add(.ipPort(addr, proto, np), to: roles.all, family: f)
            if !p.masqueradesExternal { plan.add(.ipPort(addr, proto, np), to: roles.local, family: f) }
            switch p.externalTraffic {
            case .reject: plan.add(.ipPort(addr, proto, np), to: .reject, family: f)
            case .drop: plan.add(.ipPort(addr, proto, np), to: .drop, family: f)
            case .forward: break
            }
        }
        guard proto != .sctp else { return }
        plan.add(.port(np), to: roles.all, family: f)
        if !p.masqueradesExternal { plan.add(.port(np), to: roles.local, family: f) }
        switch p.externalTraffic {
        case .reject: if let r = roles.reject { plan.add(.port(np), to: r, family: f) }
        case .drop: if let d = roles.drop { plan.add(.port(np), to: d, family: f) }
        case .forward: break
        }
    }
}

/// Where `IPVSPlanBuilder` puts a port's contribution: a plan, or the index's per-port collector.
protocol IPVSPlanSink {
    /// A virtual server; a second one with the same key is ignored (the first claimant keeps it).
    mutating func add(_ vs: IPVSVirtualServer)
    /// An address for the dummy interface.
    mutating func addAddress(_ a: IPAddress)
    /// A member of a role's set.
    mutating func add(_ member: IPSetMember, to role: IPVSSetRole, family: IPFamily)
}

extension IPVSPlan: IPVSPlanSink {
    mutating func addAddress(_ a: IPAddress) { addresses.insert(a) }
}
