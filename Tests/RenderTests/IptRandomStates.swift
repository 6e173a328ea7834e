import Model
import SwitchyardCore

/// Seeded random service ports and updates for the partial-vs-full equivalence test.
struct IptRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

    func addr(_ fam: IPFamily, _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> IPAddress {
        fam == .ipv4 ? IPAddress(v4: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
            : IPAddress(v6High: 0xfd00_0010_0000_0000 | UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c), low: UInt64(d))
    }

    /// A random, internally consistent port (index `i` keeps addresses and node ports unique).
    mutating func port(_ i: Int, family fam: IPFamily) -> ServicePort {
        let proto: L4Protocol = chance(0.3) ? .udp : .tcp
        let key = IptFixtures.key("ns", "svc-\(i)", chance(0.5) ? "" : "p", proto, fam)
        var p = ServicePort(key: key, clusterIP: addr(fam, 10, 96, UInt8(i / 250), UInt8(i % 250 + 1)), port: UInt16.random(in: 80...90, using: &self))
        if chance(0.5) { p.nodePort = UInt16(30000 + i) }
        if chance(0.3) { p.externalIPs = [addr(fam, 203, 0, 113, UInt8(i % 250 + 1))] }
        if chance(0.3) {
            p.loadBalancerIPs = [addr(fam, 198, 51, 100, UInt8(i % 250 + 1))]
            if chance(0.5) { p.loadBalancerSourceRanges = [CIDR(address: addr(fam, 203, 0, 113, 0), prefixLength: fam == .ipv4 ? 24 : 120)!] }
        }
        if chance(0.3) { p.affinityTimeout = UInt32.random(in: 10...10800, using: &self) }
        setEndpoints(&p, i)
        return p
    }

    /// Random endpoints and the decisions a model would make from them.
    mutating func setEndpoints(_ p: inout ServicePort, _ i: Int) {
        let fam = p.key.family
        let n = Int.random(in: 0...4, using: &self)
        var eps: [Endpoint] = []
        for j in 0..<n where chance(0.9) {
            eps.append(Endpoint(ip: addr(fam, 10, 244, UInt8(i % 250), UInt8(j + 1)), port: 8000 + UInt16(j % 2), isLocal: chance(0.4)))
        }
        eps.sort()
        p.clusterEndpoints = eps
        p.localEndpoints = eps.filter(\.isLocal)
        p.externalPolicyLocal = p.isExternallyAccessible && chance(0.4)
        p.internalPolicyLocal = chance(0.2)
        func decide(_ local: Bool) -> TrafficDecision {
            if eps.isEmpty { return .reject }
            if local { return p.localEndpoints.isEmpty ? .drop : .forward(.local) }
            return .forward(.cluster)
        }
        p.internalTraffic = decide(p.internalPolicyLocal)
        p.externalTraffic = decide(p.externalPolicyLocal)
    }

    /// One random update of the port list: add, remove or change a port.
    mutating func update(_ ports: inout [ServicePort], nextIndex: inout Int) {
        let r = Int.random(in: 0..<10, using: &self)
        if ports.isEmpty || r < 2 {
            ports.append(port(nextIndex, family: chance(0.5) ? .ipv4 : .ipv6)); nextIndex += 1
        } else if r < 4 {
            ports.remove(at: Int.random(in: 0..<ports.count, using: &self))
        } else {
            let k = Int.random(in: 0..<ports.count, using: &self)
            var p = ports[k]
            let idx = Int(p.key.service.name.dropFirst(4)) ?? 0
            switch Int.random(in: 0..<5, using: &self) {
            case 0: p.nodePort = p.nodePort == nil ? UInt16(30000 + idx) : nil
            case 1: p.affinityTimeout = p.affinityTimeout == nil ? 60 : nil
            case 2: p.loadBalancerSourceRanges = p.loadBalancerSourceRanges.isEmpty && !p.loadBalancerIPs.isEmpty
                ? [CIDR(address: addr(p.key.family, 192, 0, 2, 0), prefixLength: p.key.family == .ipv4 ? 24 : 120)!] : []
            default: break
            }
            setEndpoints(&p, idx)
            ports[k] = p
        }
    }
}
