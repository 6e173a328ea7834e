import Model
import SwitchyardCore

/// Every rule one service port contributes, in one family, as one spec per rule (written by
/// `PortRuleWriter`). Pure function of the port and the node context, so the same port always
/// renders the same text: that is what lets an incremental sync delete old dispatch rules by
/// their exact spec.
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
        var lists = RuleLists()
        PortRuleWriter.write(p, ctx, into: &lists)
        self = lists.rules
        if hairpinSet { hairpin = Self.hairpinMembers(p) }
    }

    /// Collects `PortRuleWriter`'s rules as one string per rule.
    private struct RuleLists: PortRuleSink {
        var rules = PortRules()
        private var section = PortRuleSection.chain
        private var text = ASCIIBuffer(capacity: 256)

        mutating func beginChain(_ name: String) { rules.chains.append((name, [])) }
        mutating func beginRule(_ section: PortRuleSection) { self.section = section; text.removeAll() }
        mutating func write(_ s: String) { text.write(s) }
        mutating func write(_ ip: IPAddress) { text.write(ip) }
        mutating func write(number v: UInt32) { text.write(number: v) }
        mutating func write(bracketed ip: IPAddress, port: UInt16) { text.write(bracketed: ip, port: port) }
        mutating func endRule() {
            let rule = text.string
            switch section {
            case .chain: rules.chains[rules.chains.count - 1].rules.append(rule)
            case .dispatch: rules.dispatch.append(rule)
            case .nodePorts: rules.nodePorts.append(rule)
            case .filter: rules.filter.append(rule)
            case .clusterIPs: rules.clusterIPReject.append(rule)
            }
        }
    }

    /// Hairpin ipset members for every endpoint some DNAT rule of the port can pick.
    static func hairpinMembers(_ p: ServicePort) -> Set<HairpinMember> {
        var out = Set<HairpinMember>()
        forEachHairpinEndpoint(p) { out.insert(HairpinMember(ip: $0.ip, proto: p.key.proto, port: $0.port)) }
        return out
    }

    /// Calls `body` for every endpoint a DNAT rule of the port can pick: each endpoint list the
    /// port's paths forward to, once (an endpoint in both lists comes twice).
    static func forEachHairpinEndpoint(_ p: ServicePort, _ body: (Endpoint) -> Void) {
        var cluster = false, local = false
        func visit(_ d: TrafficDecision) {
            switch d {
            case .forward(.cluster) where !cluster: cluster = true; p.clusterEndpoints.forEach(body)
            case .forward(.local) where !local: local = true; p.localEndpoints.forEach(body)
            default: break
            }
        }
        visit(p.internalTraffic)
        guard p.isExternallyAccessible else { return }
        visit(p.externalTraffic)
        if let shortCircuit = p.externalShortCircuit { visit(shortCircuit) }
    }
}

/// One member of the hairpin ipset: traffic from an endpoint to itself after DNAT.
struct HairpinMember: Hashable, Sendable, Comparable {
    var ip: IPAddress
    var proto: L4Protocol
    var port: UInt16
    /// `ipset` syntax: `10.244.1.5,tcp:8080,10.244.1.5`.
    var text: String {
        var w = ASCIIBuffer(capacity: 40)
        write(to: &w)
        return w.string
    }
    /// Appends `text`.
    func write(to w: inout ASCIIBuffer) {
        w.write(ip); w.write(byte: UInt8(ascii: ",")); w.write(proto.lowercased); w.write(byte: UInt8(ascii: ":"))
        w.write(number: UInt32(port)); w.write(byte: UInt8(ascii: ",")); w.write(ip)
    }
    /// Hashes the protocol by number (an enum with a String raw value hashes the string).
    func hash(into h: inout Hasher) { h.combine(ip); h.combine(proto.number); h.combine(port) }
    static func < (a: HairpinMember, b: HairpinMember) -> Bool {
        (a.ip, a.proto, a.port) < (b.ip, b.proto, b.port)
    }
}
