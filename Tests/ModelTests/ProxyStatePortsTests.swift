import Model
import SwitchyardCore
import Testing

/// `ProxyState.ports(family:)` and `allPorts` sort through an index array; the result must be
/// the ports sorted by key, whatever order the persistent map iterates in.
@Suite struct ProxyStatePortsTests {
    @Test func portsComeSortedByKey() {
        var rng = SystemRandomNumberGenerator()
        var state = ProxyState(config: NodeConfig(nodeName: "n"))
        for i in 0..<600 {
            let name = ServiceName(namespace: "ns-\(Int.random(in: 0..<5, using: &rng))", name: "svc-\(i)")
            var ports: [ServicePort] = []
            for family in IPFamily.allCases where Bool.random(using: &rng) {
                for portName in ["", "a", "b"].prefix(Int.random(in: 1...3, using: &rng)) {
                    let key = ServicePortKey(service: name, portName: portName, proto: L4Protocol.allCases.randomElement(using: &rng)!, family: family)
                    ports.append(ServicePort(key: key, clusterIP: family == .ipv4 ? IPAddress(v4: UInt32(i)) : IPAddress(v6High: 1, low: UInt64(i)),
                                             port: UInt16(80 + i % 7)))
                }
            }
            if !ports.isEmpty { state.services[name] = ServiceState(name: name, ports: ports) }
        }
        var all: [ServicePort] = []
        for (_, svc) in state.services { all += svc.ports }
        #expect(state.allPorts == all.sorted { $0.key < $1.key })
        for family in IPFamily.allCases {
            #expect(state.ports(family: family) == all.filter { $0.key.family == family }.sorted { $0.key < $1.key })
        }
        #expect(state.allPorts.count == all.count)
    }

    /// A state whose port lists are out of key order (or hold another service's port) still
    /// yields the ports sorted by key, and `keyOrderedPorts` reads the same ports as `ports`.
    @Test func outOfOrderServicesAreSortedPortByPort() {
        var state = ProxyState(config: NodeConfig(nodeName: "n"))
        for i in 0..<50 {
            let name = ServiceName(namespace: "ns", name: "svc-\(i)")
            let ports = ["a", "b", "c"].map { portName in
                ServicePort(key: ServicePortKey(service: name, portName: portName, proto: .tcp, family: .ipv4),
                            clusterIP: IPAddress(v4: UInt32(i)), port: 80)
            }
            var svc = ServiceState(name: name, ports: ports)
            if i % 7 == 0 { svc.ports.reverse() }
            if i == 10 { svc.ports[0].key.service = ServiceName(namespace: "aa", name: "other") }
            state.services[name] = svc
        }
        var all: [ServicePort] = []
        for (_, svc) in state.services { all += svc.ports }
        #expect(state.ports(family: .ipv4) == all.sorted { $0.key < $1.key })
        #expect(Array(state.keyOrderedPorts(family: .ipv4)) == state.ports(family: .ipv4))
        #expect(state.keyOrderedPorts(family: .ipv6).isEmpty)
    }
}
