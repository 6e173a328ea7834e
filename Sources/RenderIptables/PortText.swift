import Model
import SwitchyardCore

/// One port's `PortRules` as finished restore lines, for a full render: built on every core, so
/// the sequential part of a full render only concatenates large strings. The lines are the
/// ones `IptablesRestoreBuilder` writes for the same declarations and appends.
struct PortText: Sendable {
    /// `:CHAIN - [0:0]` lines of the port's own nat chains.
    var declarations = ""
    /// `-A CHAIN RULE` lines of the port's own nat chains.
    var chainRules = ""
    /// The port's own nat chains (only when the caller tracks chains).
    var chainNames: [String] = []
    var chainCount = 0
    var chainRuleCount = 0
    /// Pending rules (for transaction sizing): the rules of the port's own chains.
    /// `-A SWITCHYARD-DISPATCH …`, `-A SWITCHYARD-NODEPORTS …` (nat), `-A SWITCHYARD-SERVICES …`,
    /// `-A SWITCHYARD-CLUSTER-IPS …` (filter) lines, with their counts.
    var dispatch = "", nodePorts = "", filter = "", clusterIPs = ""
    var dispatchCount = 0, nodePortCount = 0, filterCount = 0, clusterIPCount = 0
    /// Hairpin members of the port, unsorted, possibly repeated.
    var hairpin: [HairpinMember] = []

    init(_ p: ServicePort, _ ctx: IptablesContext, keepNames: Bool) {
        let r = PortRules(p, ctx, hairpinSet: false)
        chainCount = r.chains.count
        var declLength = 0, ruleLength = 0
        for c in r.chains {
            declLength += c.name.utf8.count + 10
            for rule in c.rules { ruleLength += c.name.utf8.count + rule.utf8.count + 5 }
        }
        declarations.reserveCapacity(declLength)
        chainRules.reserveCapacity(ruleLength)
        for c in r.chains {
            declarations += ":"; declarations += c.name; declarations += " - [0:0]\n"
            for rule in c.rules { chainRules += "-A "; chainRules += c.name; chainRules += " "; chainRules += rule; chainRules += "\n" }
            chainRuleCount += c.rules.count
            if keepNames { chainNames.append(c.name) }
        }
        dispatchCount = r.dispatch.count; nodePortCount = r.nodePorts.count
        filterCount = r.filter.count; clusterIPCount = r.clusterIPReject.count
        dispatch = Self.lines(IptablesNames.natDispatch, r.dispatch)
        nodePorts = Self.lines(IptablesNames.natNodePorts, r.nodePorts)
        filter = Self.lines(IptablesNames.filterServices, r.filter)
        clusterIPs = Self.lines(IptablesNames.filterClusterIPs, r.clusterIPReject)
        PortRules.forEachHairpinEndpoint(p) { hairpin.append(HairpinMember(ip: $0.ip, proto: p.key.proto, port: $0.port)) }
    }

    static func lines(_ chain: String, _ rules: [String]) -> String {
        guard !rules.isEmpty else { return "" }
        var out = ""
        out.reserveCapacity(rules.reduce(0) { $0 + $1.utf8.count + chain.utf8.count + 5 })
        for rule in rules { out += "-A "; out += chain; out += " "; out += rule; out += "\n" }
        return out
    }
}
