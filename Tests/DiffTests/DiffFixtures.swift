import Diff
import Model
import SwitchyardCore

/// A tiny deterministic PRNG for the property tests (SplitMix64).
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Fixture {
    static let config = NodeConfig(nodeName: "node-0", clusterCIDRs: [CIDR("10.244.0.0/16")!])

    static func name(_ n: Int, namespace: String = "default") -> ServiceName {
        ServiceName(namespace: namespace, name: "svc-\(n)")
    }

    static func v4(_ a: UInt32) -> IPAddress { IPAddress(v4: a) }
    static func v6(_ low: UInt64) -> IPAddress { IPAddress(v6High: 0xfd00_0010_0096_0000, low: low) }

    static func endpoint(_ i: Int, family: IPFamily = .ipv4, port: UInt16 = 8080) -> Endpoint {
        let ip = family == .ipv4 ? v4(0x0AF4_0000 + UInt32(i)) : IPAddress(v6High: 0xfd00_0010_0244_0000, low: UInt64(i))
        return Endpoint(ip: ip, port: port, isLocal: i % 3 == 0)
    }

    /// A port with `endpoints` cluster endpoints and forward decisions.
    static func port(_ service: ServiceName, _ portName: String = "http", proto: L4Protocol = .tcp,
                     family: IPFamily = .ipv4, ip: UInt32 = 1, port: UInt16 = 80, endpoints: [Int] = [1, 2]) -> ServicePort {
        let key = ServicePortKey(service: service, portName: portName, proto: proto, family: family)
        let eps = endpoints.map { endpoint($0, family: family) }.sorted()
        let decision: TrafficDecision = eps.isEmpty ? .reject : .forward(.cluster)
        return ServicePort(key: key, clusterIP: family == .ipv4 ? v4(0x0A60_0000 + ip) : v6(UInt64(ip)), port: port,
                           clusterEndpoints: eps, localEndpoints: eps.filter(\.isLocal),
                           internalTraffic: decision, externalTraffic: decision)
    }

    static func state(_ services: [ServiceState], config: NodeConfig = config) -> ProxyState {
        var s = ProxyState(config: config)
        for svc in services { s.services[svc.name] = svc }
        return s
    }
}
