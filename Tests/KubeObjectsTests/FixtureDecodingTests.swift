import Foundation
import KubeObjects
import SwitchyardCore
import Testing

@Suite struct FixtureDecodingTests {
    @Test func kubectlListYAMLDecodesEveryKnownObject() throws {
        let r = try Fixture.decode("cluster-list.yaml")
        #expect(r.diagnostics == [])
        #expect(r.objects.map(\.ref.description) == [
            "Service shop/web", "Service edge/gateway", "EndpointSlice shop/web-8xkq2",
            "EndpointSlice shop/web-v6-p9z3d", "Node node-a", "Node node-b",
        ])
        #expect(r.ignoredKinds == ["Deployment": 1])
        #expect(r.ignoredCount == 1)
    }

    @Test func dualStackServiceFields() throws {
        let web = try #require(try Fixture.decode("cluster-list.yaml").service("web"))
        let spec = try #require(web.spec)
        #expect(web.apiVersion == "v1" && web.kind == "Service")
        #expect(web.metadata.uid == "4b1c2f0e-8f7a-4d56-9a1e-0c2f5b7d9e11")
        #expect(web.metadata.resourceVersion == "48213")
        #expect(web.metadata.labels == ["app": "web", "app.kubernetes.io/part-of": "shop"])
        #expect(web.metadata.annotations?["kubectl.kubernetes.io/last-applied-configuration"]?.hasPrefix("{\"apiVersion\"") == true)
        #expect(spec.type == "ClusterIP")
        #expect(spec.clusterIPs == ["10.96.14.7", "fd00:10:96::e07"])
        #expect(spec.ipFamilies == ["IPv4", "IPv6"])
        #expect(spec.ipFamilyPolicy == "PreferDualStack")
        #expect(spec.ports == [
            ServicePortSpec(name: "http", protocol: "TCP", port: 80, targetPort: .string("http")),
            ServicePortSpec(name: "metrics", protocol: "TCP", port: 9090, targetPort: .int(9090)),
        ])
        #expect(spec.sessionAffinity == "ClientIP")
        #expect(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == 10800)
        #expect(spec.internalTrafficPolicy == "Cluster")
    }

    @Test func loadBalancerServiceWithIngressIPMode() throws {
        let gw = try #require(try Fixture.decode("cluster-list.yaml").service("gateway"))
        let spec = try #require(gw.spec)
        #expect(spec.type == "LoadBalancer")
        #expect(spec.externalTrafficPolicy == "Local")
        #expect(spec.healthCheckNodePort == 32011)
        #expect(spec.loadBalancerSourceRanges == ["198.51.100.0/24", "203.0.113.0/25"])
        #expect(spec.ports?.map(\.protocol) == ["TCP", "UDP"])
        #expect(spec.ports?.map(\.nodePort) == [30443, 30443])
        #expect(gw.status?.loadBalancer?.ingress == [
            LoadBalancerIngress(ip: "203.0.113.10", ipMode: "VIP"),
            LoadBalancerIngress(ip: "203.0.113.11", ipMode: "Proxy"),
            LoadBalancerIngress(hostname: "lb.example.test"),
        ])
    }

    @Test func endpointSliceWithHintsAndConditions() throws {
        let r = try Fixture.decode("cluster-list.yaml")
        let slice = try #require(r.slices.first)
        #expect(slice.addressType == "IPv4")
        #expect(slice.metadata.labels?[EndpointSlice.serviceNameLabel] == "web")
        #expect(slice.ports == [EndpointPortSpec(name: "http", protocol: "TCP", port: 8080),
                                EndpointPortSpec(name: "metrics", protocol: "TCP", port: 9090)])
        let eps = try #require(slice.endpoints)
        #expect(eps.count == 3)
        #expect(eps[0].addresses == ["10.244.1.17"])
        #expect(eps[0].conditions == EndpointConditions(ready: true, serving: true, terminating: false))
        #expect(eps[0].hints == EndpointHints(forZones: [NamedHint(name: "zone-a")]))
        #expect(eps[0].nodeName == "node-a" && eps[0].zone == "zone-a")
        #expect(eps[1].conditions == EndpointConditions(ready: false, serving: true, terminating: true))
        #expect(eps[1].hints == EndpointHints(forZones: [NamedHint(name: "zone-b")], forNodes: [NamedHint(name: "node-b")]))
        // `conditions: {}` keeps every condition unset (the API defaults apply later in Model).
        #expect(eps[2].conditions == EndpointConditions())
        #expect(r.slices[1].addressType == "IPv6")
        #expect(r.slices[1].endpoints?.first?.addresses == ["fd00:10:244:1::11"])
    }

    @Test func nodesWithAddressesAndZones() throws {
        let nodes = try Fixture.decode("cluster-list.yaml").nodes
        #expect(nodes.count == 2)
        #expect(nodes[0].metadata.labels?[Node.zoneLabel] == "zone-a")
        #expect(nodes[0].metadata.namespace == nil)
        #expect(nodes[0].spec?.podCIDRs == ["10.244.1.0/24", "fd00:10:244:1::/64"])
        #expect(nodes[0].status?.addresses == [
            NodeAddress(type: "InternalIP", address: "192.0.2.11"),
            NodeAddress(type: "InternalIP", address: "2001:db8::11"),
            NodeAddress(type: "Hostname", address: "node-a"),
        ])
        #expect(nodes[1].spec?.podCIDR == "10.244.2.0/24")
    }

    @Test func jsonFormDecodesToTheSameObjects() throws {
        let yaml = try Fixture.decode("cluster-list.yaml")
        let json = try Fixture.decode("cluster-list.json")
        #expect(json.diagnostics == [])
        #expect(json.objects.count == 6)
        #expect(json.objects == yaml.objects)
        #expect(json.ignoredKinds == ["Deployment": 1])
    }

    @Test func multiDocumentYAMLWithAliasesAndEmptyDocuments() throws {
        let r = try Fixture.decode("multi-doc.yaml")
        #expect(r.diagnostics == [])
        #expect(r.ignoredKinds == ["ConfigMap": 1])
        let api = try #require(r.service("api"))
        #expect(api.metadata.namespace == "default")
        #expect(api.metadata.labels == ["app": "api", "tier": "backend"])
        #expect(api.spec?.type == "NodePort")
        #expect(api.spec?.externalIPs == ["198.51.100.7"])
        #expect(api.spec?.ports == [ServicePortSpec(name: "grpc", port: 9000, targetPort: .int(9000), nodePort: 30900,
                                                    appProtocol: "kubernetes.io/h2c")])
        let slice = try #require(r.slices.first)
        #expect(slice.metadata.namespace == "default")
        #expect(slice.endpoints?.first?.addresses == ["10.244.3.4"])
        #expect(slice.endpoints?.first?.conditions == nil)
        #expect(slice.ports == [EndpointPortSpec(name: "grpc", protocol: "TCP", port: 9000)])
    }

    @Test func typedListsFillInKindAndAPIVersion() throws {
        let r = try Fixture.decode("typed-lists.yaml")
        #expect(r.diagnostics == [])
        #expect(r.objects.map(\.ref.description) == [
            "Service kube-system/dns", "Service kube-system/headless", "EndpointSlice kube-system/dns-abcde",
            "Node control-plane",
        ])
        let dns = try #require(r.service("dns"))
        #expect(dns.kind == "Service" && dns.apiVersion == "v1")
        #expect(dns.spec?.ports?.map(\.protocol) == ["UDP", "TCP"])
        #expect(r.service("headless")?.spec?.clusterIP == "None")
        #expect(r.slices.first?.apiVersion == "discovery.k8s.io/v1")
        #expect(r.slices.first?.endpoints?.compactMap(\.addresses).flatMap { $0 } == ["10.244.0.2", "10.244.0.3"])
        #expect(r.nodes.first?.status?.addresses?.first?.address == "192.0.2.1")
    }

    @Test func typedListInJSONWithoutItemKinds() {
        let json = """
        {"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","items":[
          {"metadata":{"name":"s1","namespace":"ns"},"addressType":"IPv4",
           "endpoints":[{"addresses":["10.244.0.5"],"conditions":{"ready":false}}]}]}
        """
        let r = ManifestDecoder.decode(json, source: "raw")
        #expect(r.diagnostics == [])
        #expect(r.slices.first?.metadata.name == "s1")
        #expect(r.slices.first?.endpoints?.first?.conditions?.ready == false)
    }

    @Test func unknownKindsAreCountedNotReported() {
        let yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: a}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: b}
        ---
        apiVersion: apps/v1
        kind: DeploymentList
        items:
        - metadata: {name: c}
        - metadata: {name: d}
        """
        let r = ManifestDecoder.decode(yaml, source: "x")
        #expect(r.objects == [])
        #expect(r.diagnostics == [])
        #expect(r.ignoredKinds == ["Deployment": 3, "ConfigMap": 1])
    }
}
