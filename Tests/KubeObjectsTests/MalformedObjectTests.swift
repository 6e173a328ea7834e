import Foundation
import KubeObjects
import SwitchyardCore
import Testing

@Suite struct MalformedObjectTests {
    @Test func eachMalformedObjectYieldsOneDiagnosticAndTheRestDecode() throws {
        let r = try Fixture.decode("malformed-list.yaml")
        #expect(r.services.map { $0.metadata.name } == ["good-before", "good-after"])
        #expect(r.service("good-after")?.spec?.ports?.first?.targetPort == .string("https"))
        #expect(r.nodes.first?.metadata.name == "node with \"quotes\"\nand a newline")
        let d = r.diagnostics.map { "\($0.kind) \($0.namespace)/\($0.name) \($0.field) @\($0.source ?? "")" }
        #expect(d == [
            "Service default/bad-port spec.ports[1].port @malformed-list.yaml#0",
            "Service team-a/ports-map spec.ports @malformed-list.yaml#0",
            "Service default/(unnamed) metadata @malformed-list.yaml#0",
            "EndpointSlice default/old-slice apiVersion @malformed-list.yaml#0",
        ])
        #expect(r.diagnostics[0].reason.contains("integer"))
        #expect(r.diagnostics[3].reason.contains("discovery.k8s.io/v1beta1"))
    }

    @Test func jsonWrongTypesNameTheFieldPath() {
        let json = """
        {"apiVersion":"v1","kind":"List","items":[
          {"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"n"},
           "spec":{"ports":[{"port":80},{"port":"abc"}]}},
          {"apiVersion":"v1","kind":"Service","metadata":{"name":"b","namespace":"n"},
           "spec":{"ports":{"http":{"port":80}}}},
          {"apiVersion":"v1","kind":"Service","metadata":{"name":"c","namespace":"n","labels":{"app.kubernetes.io/name":7}}},
          {"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},"status":{"addresses":[{"type":"InternalIP","address":"192.0.2.5"}]}}
        ]}
        """
        let r = ManifestDecoder.decode(json, source: "dump.json")
        #expect(r.diagnostics.map(\.field) == ["spec.ports[1].port", "spec.ports", "metadata.labels[\"app.kubernetes.io/name\"]"])
        #expect(r.diagnostics.map(\.name) == ["a", "b", "c"])
        #expect(r.diagnostics.allSatisfy { $0.source == "dump.json#0" })
        #expect(r.nodes.first?.status?.addresses?.first?.address == "192.0.2.5")
    }

    @Test func missingNameAndMissingKindAreReported() {
        let yaml = """
        apiVersion: v1
        kind: Service
        metadata: {namespace: x}
        ---
        metadata: {name: y}
        """
        let r = ManifestDecoder.decode(yaml, source: "s")
        #expect(r.objects == [])
        #expect(r.diagnostics.map(\.field) == ["metadata.name", "kind"])
        #expect(r.diagnostics.map(\.source) == ["s#0", "s#1"])
    }

    @Test func hostileNamesDecodeAsIsButDiagnosticsStayOneLine() throws {
        let yaml = """
        apiVersion: v1
        kind: Service
        metadata:
          name: "we b\\n\\"x\\"\\u0007"
          namespace: "ns with spaces"
        spec:
          ports: [{port: "eighty"}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: "ok name\\twith tab", namespace: "a\\nb"}
        """
        let r = ManifestDecoder.decode(yaml, source: "evil\nsource")
        #expect(r.services.first?.metadata.name == "ok name\twith tab")
        #expect(r.services.first?.metadata.namespace == "a\nb")
        let d = r.diagnostics.first
        #expect(d?.field == "spec.ports[0].port")
        for diag in r.diagnostics {
            let line = diag.description
            #expect(!line.contains("\n") && !line.contains("\u{7}"))
            #expect(line.contains("ns with spaces/we b\\u{a}\"x\"\\u{7}"))
        }
    }

    @Test func unsupportedAPIVersionsForEveryKnownKind() {
        let yaml = """
        apiVersion: discovery.k8s.io/v1beta1
        kind: EndpointSlice
        metadata: {name: a}
        ---
        apiVersion: v2
        kind: Service
        metadata: {name: b}
        ---
        kind: Node
        metadata: {name: c}
        """
        let r = ManifestDecoder.decode(yaml, source: "v")
        #expect(r.objects == [])
        #expect(r.diagnostics.map(\.field) == ["apiVersion", "apiVersion", "apiVersion"])
        #expect(r.diagnostics.map(\.name) == ["a", "b", "c"])
    }
}
