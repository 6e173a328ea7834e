import SwitchyardCore

/// The features chosen for one synthetic service.
struct ServiceProfile: Hashable, Sendable {
    enum Kind: String, Hashable, Sendable { case clusterIP = "ClusterIP", nodePort = "NodePort", loadBalancer = "LoadBalancer" }

    var kind: Kind = .clusterIP
    var externalLocal = false
    var internalLocal = false
    var affinity = false
    var portCount = 1
    var udp = false
    var families: [IPFamily] = [.ipv4]
    var hints = false

    var isExternal: Bool { kind != .clusterIP }

    /// NodePorts it needs: one per port, plus the health-check port of an eTP=Local LoadBalancer.
    var nodePortsNeeded: Int {
        guard isExternal else { return 0 }
        return portCount + (kind == .loadBalancer && externalLocal ? 1 : 0)
    }

    /// One service drawn feature by feature (used for services added by churn).
    static func draw(_ mix: ServiceMix, rng: inout SplitMix64) -> ServiceProfile {
        var p = ServiceProfile()
        let k = Double(rng.next() >> 11) * 0x1p-53
        if k < mix.loadBalancer { p.kind = .loadBalancer } else if k < mix.loadBalancer + mix.nodePort { p.kind = .nodePort }
        p.externalLocal = p.isExternal && rng.chance(mix.externalTrafficLocal)
        p.internalLocal = rng.chance(mix.internalTrafficLocal)
        p.affinity = rng.chance(mix.clientIPAffinity)
        p.portCount = rng.chance(mix.multiPort) ? 2 + rng.below(2) : 1
        p.udp = rng.chance(mix.udp)
        let f = Double(rng.next() >> 11) * 0x1p-53
        if f < mix.dualStack { p.families = [.ipv4, .ipv6] } else if f < mix.dualStack + mix.ipv6Only { p.families = [.ipv6] }
        p.hints = rng.chance(mix.topologyHints)
        return p
    }

    /// Profiles for `count` services with each fraction of `mix` applied exactly (rounded).
    static func assign(count: Int, mix: ServiceMix, rng: inout SplitMix64) -> [ServiceProfile] {
        var profiles = [ServiceProfile](repeating: ServiceProfile(), count: count)
        let all = Array(0..<count)
        // Exclusive groups: take consecutive runs of one shuffled order.
        let byKind = shuffled(all, rng: &rng)
        let lb = amount(mix.loadBalancer, of: count)
        let np = min(amount(mix.nodePort, of: count), count - lb)
        for i in byKind.prefix(lb) { profiles[i].kind = .loadBalancer }
        for i in byKind.dropFirst(lb).prefix(np) { profiles[i].kind = .nodePort }
        let external = all.filter { profiles[$0].isExternal }
        for i in pick(mix.externalTrafficLocal, from: external, rng: &rng) { profiles[i].externalLocal = true }

        let byFamily = shuffled(all, rng: &rng)
        let dual = amount(mix.dualStack, of: count)
        let v6 = min(amount(mix.ipv6Only, of: count), count - dual)
        for i in byFamily.prefix(dual) { profiles[i].families = [.ipv4, .ipv6] }
        for i in byFamily.dropFirst(dual).prefix(v6) { profiles[i].families = [.ipv6] }

        for i in pick(mix.internalTrafficLocal, from: all, rng: &rng) { profiles[i].internalLocal = true }
        for i in pick(mix.clientIPAffinity, from: all, rng: &rng) { profiles[i].affinity = true }
        for i in pick(mix.multiPort, from: all, rng: &rng) { profiles[i].portCount = 2 + rng.below(2) }
        for i in pick(mix.udp, from: all, rng: &rng) { profiles[i].udp = true }
        for i in pick(mix.topologyHints, from: all, rng: &rng) { profiles[i].hints = true }
        return profiles
    }

    static func amount(_ fraction: Double, of count: Int) -> Int {
        min(count, max(0, Int((fraction * Double(count)).rounded())))
    }

    /// A random subset of `items` with `fraction` of their count.
    static func pick(_ fraction: Double, from items: [Int], rng: inout SplitMix64) -> ArraySlice<Int> {
        shuffled(items, rng: &rng).prefix(amount(fraction, of: items.count))
    }

    /// Fisher–Yates with the portable generator.
    static func shuffled(_ items: [Int], rng: inout SplitMix64) -> [Int] {
        var a = items
        if a.count > 1 {
            for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, rng.below(i + 1)) }
        }
        return a
    }
}
