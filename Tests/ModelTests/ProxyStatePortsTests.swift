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
}
