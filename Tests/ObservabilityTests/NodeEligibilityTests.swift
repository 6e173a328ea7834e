import Foundation
import KubeObjects
import Testing
@testable import Observability

@Suite struct NodeEligibilityTests {
    static func node(_ name: String = "node-a", deletion: String? = nil, taints: [String] = []) -> Node {
        Node(metadata: ObjectMeta(name: name, deletionTimestamp: deletion),
             spec: NodeSpec(taints: taints.isEmpty ? nil : taints.map { NodeTaint(key: $0, value: "1700000000", effect: "NoSchedule") }))
    }

    @Test func kubeProxysRule() {
        #expect(NodeEligibility.isEligible(Self.node()))
        #expect(NodeEligibility.isEligible(Self.node(taints: ["node.kubernetes.io/unschedulable", "DeletionCandidateOfClusterAutoscaler"])),
                "cordoned or merely a deletion candidate: still eligible")
        #expect(!NodeEligibility.isEligible(Self.node(taints: ["ToBeDeletedByClusterAutoscaler"])))
        #expect(!NodeEligibility.isEligible(Self.node(deletion: "2026-01-02T03:04:05Z")))
    }

    @Test func taintAndDeletionTimestampAreDecodedFromTheAPI() throws {
        let json = #"""
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a","deletionTimestamp":"2026-01-02T03:04:05Z","finalizers":["x"]},
         "spec":{"taints":[{"key":"ToBeDeletedByClusterAutoscaler","value":"1700000000","effect":"NoSchedule","timeAdded":"2026-01-02T03:00:00Z"}]}}
        """#
        let node = try JSONDecoder().decode(Node.self, from: Data(json.utf8))
        #expect(node.metadata.deletionTimestamp == "2026-01-02T03:04:05Z")
        #expect(node.spec?.taints?.map(\.key) == ["ToBeDeletedByClusterAutoscaler"])
        #expect(!NodeEligibility.isEligible(node))
    }

    @Test func theLastEventAboutTheOwnNodeDecides() {
        let tainted = ObjectEvent.upsert(.node(Self.node(taints: ["ToBeDeletedByClusterAutoscaler"])))
        let clean = ObjectEvent.upsert(.node(Self.node()))
        let other = ObjectEvent.upsert(.node(Self.node("node-b", taints: ["ToBeDeletedByClusterAutoscaler"])))
        let deleted = ObjectEvent.delete(ObjectRef(kind: .node, namespace: "", name: "node-a"))
        #expect(NodeEligibility.after([], nodeName: "node-a") == nil)
        #expect(NodeEligibility.after([other], nodeName: "node-a") == nil, "another node's taint does not count")
        #expect(NodeEligibility.after([clean, tainted], nodeName: "node-a") == false)
        #expect(NodeEligibility.after([tainted, clean, other], nodeName: "node-a") == true)
        #expect(NodeEligibility.after([clean, deleted], nodeName: "node-a") == false)
    }

    @Test func healthzAnswersFromTheObservedNode() {
        let h = ProxyHealth(healthTimeout: 10, clock: TestClock())
        h.observe([.upsert(.node(Self.node(taints: ["ToBeDeletedByClusterAutoscaler"])))], nodeName: "node-a")
        #expect(h.healthz().code == 503 && h.livez().code == 200)
        #expect(h.healthz().body.hasSuffix(#", "nodeEligible": false}"#))
        h.observe([.upsert(.service(Service(metadata: ObjectMeta(name: "s"), spec: nil)))], nodeName: "node-a")
        #expect(!h.nodeEligible, "a batch without the node changes nothing")
        h.observe([.upsert(.node(Self.node()))], nodeName: "node-a")
        #expect(h.healthz().code == 200 && h.healthz().body.hasSuffix(#", "nodeEligible": true}"#))
    }
}
