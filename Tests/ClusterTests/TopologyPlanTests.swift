import SwitchyardCore
import TestCluster
import Testing

/// The pure layout (no root needed).
struct TopologyPlanTests {
    func plan(_ spec: TestClusterSpec = TestClusterSpec()) throws -> TopologyPlan {
        try TopologyPlan(spec: spec, prefix: "sy123x4-")
    }

    @Test("nodes, pods and client get the documented addresses")
    func addresses() throws {
        let spec = TestClusterSpec(pods: [PodSpec("web-1", on: .a), PodSpec("web-2", on: .b), PodSpec("web-3", on: .a)])
        let p = try plan(spec)
        #expect(p.node(.a).ipv4 == IPAddress("192.0.2.10") && p.node(.b).ipv4 == IPAddress("192.0.2.11"))
        #expect(p.node(.a).ipv6 == IPAddress("2001:db8::10") && p.node(.b).ipv6 == IPAddress("2001:db8::11"))
        #expect(p.client.ipv4 == IPAddress("203.0.113.5") && p.client.ipv6 == IPAddress("2001:db8::5"))
        #expect(p.pods.map(\.ipv4) == ["10.244.1.2", "10.244.2.2", "10.244.1.3"].map { IPAddress($0)! })
        #expect(p.pods.map(\.ipv6) == ["fd00:10:244:1::2", "fd00:10:244:2::2", "fd00:10:244:1::3"].map { IPAddress($0) })
        for pod in p.pods {
            #expect(p.node(pod.node).podCIDRv4.contains(pod.ipv4))
            #expect(try #require(p.node(pod.node).podCIDRv6).contains(try #require(pod.ipv6)))
        }
    }

    @Test("namespace names carry the prefix; interface names fit IFNAMSIZ")
    func names() throws {
        let many = (0..<150).map { PodSpec("pod-\($0)", on: $0 % 2 == 0 ? .a : .b) }
        let p = try plan(TestClusterSpec(pods: many))
        #expect(p.namespaces.allSatisfy { $0.name.hasPrefix("sy123x4-") })
        #expect(Set(p.namespaces).count == p.namespaces.count)
        let interfaces = p.pods.flatMap { [$0.interface, $0.hostInterface] } + p.nodes.map(\.interface) + [p.client.interface]
        #expect(interfaces.allSatisfy { $0.utf8.count <= 15 })
        #expect(Set(p.pods.map(\.hostInterface)).count == p.pods.count)
    }

    @Test("every ip line uses only planned addresses and no line runs in the caller's namespace except netns add")
    func steps() throws {
        let p = try plan()
        guard case .ipBatch(nil, let first)? = p.steps.first else { Issue.record("first step must add namespaces"); return }
        #expect(first == p.namespaces.map { "netns add \($0.name)" })
        for step in p.steps.dropFirst() {
            if case .ipBatch(let ns, _) = step { #expect(ns != nil) }
        }
        let nodeA = p.steps.compactMap { step -> [String]? in
            if case .ipBatch(p.node(.a).namespace?, let lines) = step { return lines } else { return nil }
        }.first ?? []
        #expect(nodeA.contains("route add 10.244.2.0/24 via 192.0.2.11"))
        #expect(nodeA.contains("route add fd00:10:244:2::/64 via 2001:db8::11"))
        #expect(nodeA.contains("route add 203.0.113.0/24 dev eth0"))
        #expect(nodeA.contains("route add default via 192.0.2.1"))
        let sysctls = p.steps.compactMap { step -> [String]? in
            if case .sysctl(p.node(.b).namespace, let s) = step { return s } else { return nil }
        }.first ?? []
        #expect(sysctls.contains("net.ipv4.ip_forward=1") && sysctls.contains("net.ipv6.conf.all.forwarding=1"))
        #expect(!sysctls.contains { $0.contains("route_localnet") })
    }

    @Test("IPv4-only clusters have no IPv6 addresses or lines")
    func ipv4Only() throws {
        let p = try plan(TestClusterSpec(ipv6: false))
        #expect(p.pods.allSatisfy { $0.ipv6 == nil } && p.nodes.allSatisfy { $0.ipv6 == nil } && p.client.ipv6 == nil)
        for step in p.steps {
            switch step {
            case .ipBatch(_, let lines): #expect(!lines.contains { $0.contains("fd00") || $0.contains("2001:db8") })
            case .sysctl(_, let settings): #expect(!settings.contains { $0.contains("ipv6") })
            }
        }
    }

    @Test("bad specs are rejected", arguments: [
        TestClusterSpec(pods: [PodSpec("Bad_Name", on: .a)]),
        TestClusterSpec(pods: [PodSpec("x", on: .a), PodSpec("x", on: .b)]),
        TestClusterSpec(pods: [PodSpec("-x", on: .a)]),
        TestClusterSpec(pods: [PodSpec(String(repeating: "a", count: 41), on: .a)]),
    ])
    func rejected(spec: TestClusterSpec) {
        #expect(throws: TestClusterError.self) { try TopologyPlan(spec: spec, prefix: "sy1x1-") }
    }

    @Test("more than 200 pods on one node are rejected; 200 are fine")
    func overfullNode() throws {
        let full = (0..<200).map { PodSpec("p\($0)", on: .b) }
        #expect(try plan(TestClusterSpec(pods: full)).pods.last?.ipv4 == IPAddress("10.244.2.201"))
        #expect(throws: TestClusterError.self) { try plan(TestClusterSpec(pods: full + [PodSpec("one-more", on: .b)])) }
    }

    @Test("a prefix with unsafe characters is rejected")
    func badPrefix() {
        for prefix in ["", "sy 1", "../x", "SY1", String(repeating: "a", count: 33)] {
            #expect(throws: TestClusterError.self) { try TopologyPlan(spec: TestClusterSpec(), prefix: prefix) }
        }
    }

    @Test("unique prefixes encode the owning pid")
    func prefixes() {
        let a = TestCluster.uniquePrefix()
        #expect(TestCluster.ownerPID(ofNamespace: a + "node-a") != nil)
        #expect(TestCluster.ownerPID(ofNamespace: "sy-foo") == nil)
        #expect(TestCluster.ownerPID(ofNamespace: "sy42x7-node-a") == 42)
        #expect(TestCluster.ownerPID(ofNamespace: "syabc") == nil)
    }
}
