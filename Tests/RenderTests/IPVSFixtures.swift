import Diff
import Model
import RenderIPVS
import SwitchyardCore

/// Shared builders for the IPVS tests (prefixed to keep the shared RenderTests target tidy).
enum IPVSFixtures {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    static func cidr(_ s: String) -> CIDR { CIDR(s)! }
    static func ep(_ s: String, _ port: UInt16, local: Bool = false) -> Endpoint { Endpoint(ip: ip(s), port: port, isLocal: local) }

    static let node = NodeInfo(name: "node-a", zone: nil, addresses: [ip("192.0.2.10"), ip("2001:db8::10")])

    static func config(families: Set<IPFamily> = [.ipv4, .ipv6], nodePortAddresses: [CIDR]? = nil, masqueradeAll: Bool = false) -> NodeConfig {
        NodeConfig(nodeName: "node-a", clusterCIDRs: [cidr("10.244.0.0/16"), cidr("fd00:10:244::/48")], masqueradeAll: masqueradeAll,
                   nodePortAddresses: nodePortAddresses, families: families, ipvsScheduler: "rr")
    }

    static func key(_ ns: String, _ name: String, _ port: String = "", _ proto: L4Protocol = .tcp, _ fam: IPFamily = .ipv4) -> ServicePortKey {
        ServicePortKey(service: ServiceName(namespace: ns, name: name), portName: port, proto: proto, family: fam)
    }

    /// A port whose decisions follow kube-proxy's rules (what Model would decide), for test data only.
    static func port(_ key: ServicePortKey, clusterIP: String, port: UInt16, nodePort: UInt16? = nil, externalIPs: [String] = [],
                     lbIPs: [String] = [], ranges: [String] = [], affinity: UInt32? = nil, eTPLocal: Bool = false,
                     iTPLocal: Bool = false, healthCheck: UInt16? = nil, scheduler: String? = nil, endpoints: [Endpoint]) -> ServicePort {
        let cluster = endpoints.sorted()
        let local = cluster.filter(\.isLocal)
        func decide(_ localPolicy: Bool) -> TrafficDecision {
            if cluster.isEmpty { return .reject }
            if localPolicy { return local.isEmpty ? .drop : .forward(.local) }
            return .forward(.cluster)
        }
        let external = nodePort != nil || !externalIPs.isEmpty || !lbIPs.isEmpty
        return ServicePort(key: key, clusterIP: ip(clusterIP), port: port, nodePort: nodePort,
                           externalIPs: externalIPs.map(ip).sorted(), loadBalancerIPs: lbIPs.map(ip).sorted(),
                           loadBalancerSourceRanges: ranges.map(cidr), affinityTimeout: affinity,
                           externalPolicyLocal: eTPLocal && external, internalPolicyLocal: iTPLocal,
                           healthCheckNodePort: healthCheck, ipvsScheduler: scheduler,
                           clusterEndpoints: cluster, localEndpoints: local,
                           internalTraffic: decide(iTPLocal), externalTraffic: decide(eTPLocal && external))
    }

    static func state(_ ports: [ServicePort], config: NodeConfig = config(), node: NodeInfo = node) -> ProxyState {
        var s = ProxyState(config: config, node: node)
        var grouped: [ServiceName: [ServicePort]] = [:]
        for p in ports { grouped[p.key.service, default: []].append(p) }
        for (n, ps) in grouped { s.services[n] = ServiceState(name: n, ports: ps) }
        return s
    }

    /// A small state that exercises every feature IPVS mode supports.
    static func goldenState() -> ProxyState {
        state([
            port(key("kube-system", "dns", "dns", .udp), clusterIP: "10.96.0.10", port: 53,
                 endpoints: [ep("10.244.1.5", 53, local: true), ep("10.244.2.7", 53)]),
            port(key("kube-system", "dns", "dns-tcp", .tcp), clusterIP: "10.96.0.10", port: 53,
                 endpoints: [ep("10.244.1.5", 53, local: true), ep("10.244.2.7", 53)]),
            port(key("default", "web"), clusterIP: "10.96.0.20", port: 80, nodePort: 30080, externalIPs: ["203.0.113.10"],
                 affinity: 10800, scheduler: "lc", endpoints: [ep("10.244.1.6", 8080, local: true), ep("10.244.2.8", 8080)]),
            port(key("default", "web", "", .tcp, .ipv6), clusterIP: "fd00:10:96::20", port: 80, nodePort: 30080,
                 affinity: 10800, scheduler: "lc", endpoints: [ep("fd00:10:244:1::6", 8080, local: true)]),
            port(key("default", "lb", "https"), clusterIP: "10.96.0.30", port: 443, nodePort: 30443, lbIPs: ["198.51.100.20"],
                 ranges: ["203.0.113.0/24", "192.0.2.0/24"], eTPLocal: true, healthCheck: 32000,
                 endpoints: [ep("10.244.1.9", 8443, local: true), ep("10.244.2.9", 8443)]),
            port(key("default", "local-only"), clusterIP: "10.96.0.40", port: 8080, nodePort: 30090, eTPLocal: true, iTPLocal: true,
                 endpoints: [ep("10.244.2.11", 8080)]),
            port(key("default", "empty", "", .udp), clusterIP: "10.96.0.50", port: 9000, nodePort: 30900, scheduler: "mh", endpoints: []),
            port(key("default", "sctp", "", .sctp), clusterIP: "10.96.0.60", port: 7777, nodePort: 30777,
                 endpoints: [ep("10.244.2.10", 7777)]),
        ])
    }

    /// StateDiff between two states, port by port (a test-side stand-in for the Diff module).
    static func diff(_ a: ProxyState, _ b: ProxyState) -> StateDiff {
        var old: [ServicePortKey: ServicePort] = [:]
        for p in a.allPorts { old[p.key] = p }
        var d = StateDiff()
        for p in b.allPorts {
            if let o = old.removeValue(forKey: p.key) {
                if o != p { d.changed.append(PortChange(old: o, new: p)) }
            } else {
                d.added.append(p)
            }
        }
        d.removed = old.values.sorted { $0.key < $1.key }
        return d
    }
}

/// SplitMix64: a seeded generator so property tests are reproducible.
struct IPVSSeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// Random but coherent states: small pools of endpoints, external and LB addresses are shared
/// between services (so shared resources are exercised); ports are unique per service so no two
/// service ports claim one virtual server.
enum IPVSRandomStates {
    static func make(_ rng: inout IPVSSeededRNG) -> ProxyState {
        typealias F = IPVSFixtures
        var ports: [ServicePort] = []
        let endpointPool = (0..<8).map { i in F.ep("10.244.\(1 + i % 3).\(10 + i)", 8080, local: i % 3 == 0) }
        let v6Pool = (0..<4).map { i in F.ep("fd00:10:244:\(1 + i % 2)::\(10 + i)", 8080, local: i % 2 == 0) }
        for s in 0..<Int.random(in: 2...7, using: &rng) {
            let svcPort = UInt16(1000 + s * 10)
            for (pi, proto) in [L4Protocol.tcp, .udp].enumerated() where Bool.random(using: &rng) || pi == 0 {
                let dual = Bool.random(using: &rng)
                let eps = endpointPool.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }
                let nodePort: UInt16? = Bool.random(using: &rng) ? UInt16(30000 + s * 10 + pi) : nil
                let ext = Bool.random(using: &rng) ? ["203.0.113.\(1 + Int.random(in: 0..<2, using: &rng))"] : []
                let lb = Bool.random(using: &rng) ? ["198.51.100.\(1 + Int.random(in: 0..<2, using: &rng))"] : []
                let ranges = !lb.isEmpty && Bool.random(using: &rng) ? ["192.0.2.0/24"] : []
                let eTP = Bool.random(using: &rng)
                let iTP = Int.random(in: 0..<4, using: &rng) == 0
                let affinity: UInt32? = Bool.random(using: &rng) ? UInt32(Int.random(in: 1...3, using: &rng) * 100) : nil
                let sched = Int.random(in: 0..<4, using: &rng) == 0 ? "wrr" : nil
                let hc: UInt16? = eTP && !lb.isEmpty ? UInt16(32000 + s) : nil
                let name = "svc\(s)", portName = "p\(pi)"
                ports.append(F.port(F.key("default", name, portName, proto), clusterIP: "10.96.1.\(s + 1)", port: svcPort,
                                    nodePort: nodePort, externalIPs: ext, lbIPs: lb, ranges: ranges, affinity: affinity,
                                    eTPLocal: eTP, iTPLocal: iTP, healthCheck: hc, scheduler: sched, endpoints: eps))
                if dual {
                    let eps6 = v6Pool.filter { _ in Bool.random(using: &rng) }
                    ports.append(F.port(F.key("default", name, portName, proto, .ipv6), clusterIP: "fd00:10:96::\(s + 1)",
                                        port: svcPort, nodePort: nodePort, affinity: affinity, eTPLocal: eTP, iTPLocal: iTP,
                                        scheduler: sched, endpoints: eps6))
                }
            }
        }
        return F.state(ports)
    }
}
