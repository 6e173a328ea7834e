import Model
import SwitchyardCore
import Testing

/// A compact endpoint for tables: last octet of 10.244.0.x, local?, and conditions.
struct E: Sendable {
    var n: UInt8
    var local = false
    var ready = true
    var serving = true
    var terminating = false
    var zones: Set<String> = []
    var nodes: Set<String> = []

    var candidate: EndpointSelection.Candidate {
        let ep = SliceEndpoint(ip: IPAddress(v4: 0x0AF4_0000 | UInt32(n)), nodeName: local ? Fx.nodeName : "node-b",
                               ready: ready, serving: serving, terminating: terminating, zoneHints: zones, nodeHints: nodes)
        return .init(endpoint: ep, port: 8080, isLocal: local)
    }
}

struct SelectionCase: Sendable, CustomTestStringConvertible {
    var label: String
    var endpoints: [E]
    var usesCluster = true
    var usesLocal = true
    var cluster: [UInt8]
    var local: [UInt8]
    var hasAny: Bool
    var testDescription: String { label }
}

private let selectionCases: [SelectionCase] = [
    .init(label: "no endpoints", endpoints: [], cluster: [], local: [], hasAny: false),
    .init(label: "ready remote", endpoints: [E(n: 1)], cluster: [1], local: [], hasAny: true),
    .init(label: "ready local and remote", endpoints: [E(n: 1, local: true), E(n: 2)], cluster: [1, 2], local: [1], hasAny: true),
    .init(label: "not ready, not serving: never used", endpoints: [E(n: 1, local: true, ready: false, serving: false)],
          cluster: [], local: [], hasAny: false),
    .init(label: "ready wins over serving-terminating",
          endpoints: [E(n: 1), E(n: 2, ready: false, serving: true, terminating: true)], cluster: [1], local: [], hasAny: true),
    .init(label: "no ready: serving-terminating used",
          endpoints: [E(n: 1, ready: false, terminating: true), E(n: 2, ready: false, serving: false, terminating: true)],
          cluster: [1], local: [], hasAny: true),
    .init(label: "not ready, serving, not terminating: unused",
          endpoints: [E(n: 1, local: true, ready: false, serving: true, terminating: false)], cluster: [], local: [], hasAny: false),
    .init(label: "local fallback computed over local endpoints alone",
          endpoints: [E(n: 1), E(n: 2, local: true, ready: false, terminating: true)], cluster: [1], local: [2], hasAny: true),
    .init(label: "local ready preferred over local terminating",
          endpoints: [E(n: 1, local: true), E(n: 2, local: true, ready: false, terminating: true)], cluster: [1], local: [1], hasAny: true),
    .init(label: "cluster unused: empty, hasAny from local pre-scan",
          endpoints: [E(n: 1)], usesCluster: false, cluster: [], local: [], hasAny: true),
    .init(label: "local unused: empty", endpoints: [E(n: 1, local: true)], usesLocal: false, cluster: [1], local: [], hasAny: true),
]

/// Topology: node zone "zone-a", preference given per case.
struct TopologyCase: Sendable, CustomTestStringConvertible {
    var label: String
    var preference: TopologyPreference
    var zone: String? = "zone-a"
    var endpoints: [E]
    var cluster: [UInt8]
    var testDescription: String { label }
}

private let topologyCases: [TopologyCase] = [
    .init(label: "zone: all hinted, one matches", preference: .zone,
          endpoints: [E(n: 1, zones: ["zone-a"]), E(n: 2, zones: ["zone-b"])], cluster: [1]),
    .init(label: "zone: one ready endpoint lacks hints", preference: .zone,
          endpoints: [E(n: 1, zones: ["zone-a"]), E(n: 2)], cluster: [1, 2]),
    .init(label: "zone: unhinted not-ready endpoint does not count", preference: .zone,
          endpoints: [E(n: 1, zones: ["zone-a"]), E(n: 2, zones: ["zone-b"]), E(n: 3, ready: false, serving: false)], cluster: [1]),
    .init(label: "zone: no hint matches", preference: .zone,
          endpoints: [E(n: 1, zones: ["zone-b"]), E(n: 2, zones: ["zone-c"])], cluster: [1, 2]),
    .init(label: "zone: node has no zone", preference: .zone, zone: nil,
          endpoints: [E(n: 1, zones: ["zone-a"]), E(n: 2, zones: ["zone-b"])], cluster: [1, 2]),
    .init(label: "none: hints ignored", preference: .none,
          endpoints: [E(n: 1, zones: ["zone-a"]), E(n: 2, zones: ["zone-b"])], cluster: [1, 2]),
    .init(label: "zone preference ignores node hints", preference: .zone,
          endpoints: [E(n: 1, zones: ["zone-b"], nodes: [Fx.nodeName]), E(n: 2, zones: ["zone-a"], nodes: ["node-b"])], cluster: [2]),
    .init(label: "node: all node-hinted, one matches", preference: .node,
          endpoints: [E(n: 1, zones: ["zone-a"], nodes: [Fx.nodeName]), E(n: 2, zones: ["zone-a"], nodes: ["node-b"])], cluster: [1]),
    .init(label: "node: no node hint matches, falls back to zone", preference: .node,
          endpoints: [E(n: 1, zones: ["zone-b"], nodes: ["node-c"]), E(n: 2, zones: ["zone-a"], nodes: ["node-b"])], cluster: [2]),
    .init(label: "node: node hints missing, zone hints used", preference: .node,
          endpoints: [E(n: 1, zones: ["zone-a"]), E(n: 2, zones: ["zone-b"])], cluster: [1]),
    .init(label: "node: no hints at all", preference: .node, endpoints: [E(n: 1), E(n: 2)], cluster: [1, 2]),
    .init(label: "zone: only terminating endpoints, hints irrelevant", preference: .zone,
          endpoints: [E(n: 1, ready: false, terminating: true, zones: ["zone-b"])], cluster: [1]),
]

@Suite struct EndpointSelectionTests {
    private func ips(_ ns: [UInt8]) -> [IPAddress] { ns.map { IPAddress(v4: 0x0AF4_0000 | UInt32($0)) } }

    @Test(arguments: selectionCases)
    func categorize(_ c: SelectionCase) {
        let s = EndpointSelection.categorize(c.endpoints.map(\.candidate), usesCluster: c.usesCluster,
                                             usesLocal: c.usesLocal, topology: .all)
        #expect(s.cluster.map(\.ip) == ips(c.cluster))
        #expect(s.local.map(\.ip) == ips(c.local))
        #expect(s.local.allSatisfy { $0.isLocal })
        #expect(s.hasAnyEndpoints == c.hasAny)
    }

    @Test(arguments: topologyCases)
    func topology(_ c: TopologyCase) {
        let candidates = c.endpoints.map(\.candidate)
        let filter = TopologyFilter.choose(preference: c.preference, endpoints: candidates.map(\.endpoint),
                                           nodeName: Fx.nodeName, zone: c.zone)
        let s = EndpointSelection.categorize(candidates, usesCluster: true, usesLocal: false, topology: filter)
        #expect(s.cluster.map(\.ip) == ips(c.cluster))
    }
}
