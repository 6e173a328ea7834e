import KubeObjects
import Model
import SwitchyardCore
import Testing

/// A service with one port and the given policies, fed through the tracker with the endpoints.
struct PolicyCase: Sendable, CustomTestStringConvertible {
    var label: String
    var type: String? = "NodePort"
    var iTP: String? = nil
    var eTP: String? = nil
    /// (address, on this node?, ready)
    var endpoints: [(String, Bool, Bool?)]
    var internalTraffic: TrafficDecision
    var externalTraffic: TrafficDecision
    var externalPolicyLocal = false
    var shortCircuit: TrafficDecision? = nil
    var testDescription: String { label }
}

private let remote = ("10.244.1.5", false, Bool?.none)
private let local = ("10.244.0.5", true, Bool?.none)

private let policyCases: [PolicyCase] = [
    .init(label: "cluster/cluster with endpoints", endpoints: [remote],
          internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
    .init(label: "cluster/cluster without endpoints: reject", endpoints: [],
          internalTraffic: .reject, externalTraffic: .reject),
    .init(label: "only not-ready endpoints: reject", endpoints: [("10.244.1.5", false, false)],
          internalTraffic: .reject, externalTraffic: .reject),
    .init(label: "iTP Local, none local, some remote: drop internal", iTP: "Local", endpoints: [remote],
          internalTraffic: .drop, externalTraffic: .forward(.cluster)),
    .init(label: "iTP Local, local endpoint", iTP: "Local", endpoints: [remote, local],
          internalTraffic: .forward(.local), externalTraffic: .forward(.cluster)),
    .init(label: "iTP Local, no endpoints: reject", type: nil, iTP: "Local", endpoints: [],
          internalTraffic: .reject, externalTraffic: .reject),
    .init(label: "iTP Local ClusterIP, remote only: drop", type: nil, iTP: "Local", endpoints: [remote],
          internalTraffic: .drop, externalTraffic: .reject),
    .init(label: "eTP Local, remote only: drop external, short-circuit to cluster", eTP: "Local", endpoints: [remote],
          internalTraffic: .forward(.cluster), externalTraffic: .drop, externalPolicyLocal: true, shortCircuit: .forward(.cluster)),
    .init(label: "eTP Local, local endpoint", eTP: "Local", endpoints: [remote, local],
          internalTraffic: .forward(.cluster), externalTraffic: .forward(.local), externalPolicyLocal: true, shortCircuit: .forward(.cluster)),
    .init(label: "eTP OnlyLocal alias", eTP: "OnlyLocal", endpoints: [local],
          internalTraffic: .forward(.cluster), externalTraffic: .forward(.local), externalPolicyLocal: true, shortCircuit: .forward(.cluster)),
    .init(label: "eTP Local, no endpoints: reject both, no short-circuit", eTP: "Local", endpoints: [],
          internalTraffic: .reject, externalTraffic: .reject, externalPolicyLocal: true),
    .init(label: "eTP Local on ClusterIP-only port: not external", type: nil, eTP: "Local", endpoints: [remote],
          internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)),
    .init(label: "iTP and eTP Local, remote only: drop both", iTP: "Local", eTP: "Local", endpoints: [remote],
          internalTraffic: .drop, externalTraffic: .drop, externalPolicyLocal: true, shortCircuit: .forward(.cluster)),
    .init(label: "iTP and eTP Local, local endpoint", iTP: "Local", eTP: "Local", endpoints: [local, remote],
          internalTraffic: .forward(.local), externalTraffic: .forward(.local), externalPolicyLocal: true, shortCircuit: .forward(.cluster)),
]

@Suite struct TrafficPolicyTests {
    @Test(arguments: policyCases)
    func decisions(_ c: PolicyCase) throws {
        let ports = [ServicePortSpec(name: "http", protocol: "TCP", port: 80, nodePort: 30080)]
        let svc = Fx.service("web", type: c.type, ports: ports) {
            $0.internalTrafficPolicy = c.iTP; $0.externalTrafficPolicy = c.eTP
        }
        let eps = c.endpoints.map { Fx.ep($0.0, node: $0.1 ? Fx.nodeName : "node-b", ready: $0.2) }
        let (_, changes, diags) = Fx.tracker([.service(svc), .endpointSlice(Fx.slice("web-1", service: "web", endpoints: eps))])
        #expect(diags.isEmpty)
        let p = try #require(Fx.ports(changes.state, "web").first)
        #expect(p.internalTraffic == c.internalTraffic)
        #expect(p.externalTraffic == c.externalTraffic)
        #expect(p.externalPolicyLocal == c.externalPolicyLocal)
        #expect(p.masqueradesExternal == !c.externalPolicyLocal)
        #expect(p.externalShortCircuit == c.shortCircuit)
        // Whatever a path forwards to is never empty.
        for d in [p.internalTraffic, p.externalTraffic] {
            if case .forward = d { #expect(!p.endpoints(for: d).isEmpty) }
        }
    }

    @Test func clusterEndpointsUnusedForLocalOnlyClusterIPPort() throws {
        let svc = Fx.service("web") { $0.internalTrafficPolicy = "Local" }
        let (_, c, _) = Fx.tracker([.service(svc), .endpointSlice(Fx.slice("web-1", service: "web",
                                                                            endpoints: [Fx.ep("10.244.1.5", node: "node-b"), Fx.ep("10.244.0.5", node: Fx.nodeName)]))])
        let p = try #require(Fx.ports(c.state, "web").first)
        #expect(p.clusterEndpoints.isEmpty)
        #expect(p.localEndpoints.map(\.description) == ["10.244.0.5:8080"])
        #expect(p.allReachableEndpoints == p.localEndpoints)
    }
}
