import KubeObjects
import Model
import SwitchyardCore
import Testing

@Suite struct SliceValidationTests {
    @Test func badEndpointAddressSkipsOnlyThatEndpoint() throws {
        let slice = Fx.slice("web-1", service: "web", endpoints: [
            Fx.ep("10.244.1.1"), Fx.ep("10.244.1.999"), Fx.ep("fd00:10:244::1"),
            EndpointSpec(addresses: []), Fx.ep("10.244.1.2"),
        ])
        let (_, c, diags) = Fx.tracker([.service(Fx.service("web")), .endpointSlice(slice)])
        #expect(diags.map(\.field) == ["endpoints[1].addresses[0]", "endpoints[2].addresses[0]", "endpoints[3].addresses"])
        #expect(diags.allSatisfy { $0.kind == "EndpointSlice" && $0.namespace == "default" && $0.name == "web-1" })
        let p = try #require(Fx.ports(c.state, "web").first)
        #expect(Fx.endpointIPs(p.clusterEndpoints) == ["10.244.1.1:8080", "10.244.1.2:8080"])
    }

    @Test(arguments: [
        ("bad metadata.name", "metadata.name"), ("bad namespace", "metadata.namespace"),
        ("bad service label", "metadata.labels[kubernetes.io/service-name]"), ("bad addressType", "addressType"),
    ])
    func rejectedSliceIsAbsent(_ label: String, _ field: String) throws {
        var bad = Fx.slice("web-2", service: "web", endpoints: [Fx.ep("10.244.1.9")])
        switch field {
        case "metadata.name": bad.metadata.name = "Web_2"
        case "metadata.namespace": bad.metadata.namespace = "NS!"
        case "addressType": bad.addressType = "IPv5"
        default: bad.metadata.labels = [EndpointSlice.serviceNameLabel: "Web"]
        }
        let good = Fx.slice("web-1", service: "web", endpoints: [Fx.ep("10.244.1.1")])
        var t = ProxyStateTracker(config: Fx.config)
        // A valid version first: the rejected update must remove it.
        t.apply([.upsert(.service(Fx.service("web"))), .upsert(.endpointSlice(good)),
                 .upsert(.endpointSlice(Fx.slice("web-2", service: "web", endpoints: [Fx.ep("10.244.1.9")])))])
        _ = t.commit()
        #expect(Fx.endpointIPs(try #require(Fx.ports(t.state, "web").first).clusterEndpoints).count == 2)
        let diags = t.apply(.upsert(.endpointSlice(bad)))
        let d = try #require(diags.count == 1 ? diags.first : nil)
        #expect(d.kind == "EndpointSlice")
        #expect(d.field == field)
        let c = t.commit()
        let p = try #require(Fx.ports(c.state, "web").first)
        let expected = field == "metadata.name" || field == "metadata.namespace"
            ? ["10.244.1.1:8080", "10.244.1.9:8080"]   // another identity: web-2 untouched
            : ["10.244.1.1:8080"]                      // same identity: old web-2 removed
        #expect(Fx.endpointIPs(p.clusterEndpoints) == expected)
    }

    @Test func badSlicePortSkipsThatPort() throws {
        let slice = Fx.slice("web-1", service: "web",
                             ports: [EndpointPortSpec(name: "HTTP", protocol: "TCP", port: 1), EndpointPortSpec(name: "http", protocol: "TCP", port: 0),
                                     EndpointPortSpec(name: "http", protocol: "TCP", port: 8080)],
                             endpoints: [Fx.ep("10.244.1.1")])
        let (_, c, diags) = Fx.tracker([.service(Fx.service("web")), .endpointSlice(slice)])
        #expect(diags.map(\.field) == ["ports[0].name", "ports[1].port"])
        #expect(Fx.endpointIPs(try #require(Fx.ports(c.state, "web").first).clusterEndpoints) == ["10.244.1.1:8080"])
    }

    @Test func fqdnAndUnlabelledSlicesIgnoredSilently() throws {
        var unlabelled = Fx.slice("x", service: "web", endpoints: [Fx.ep("10.244.1.7")])
        unlabelled.metadata.labels = nil
        let fqdn = Fx.slice("f", service: "web", addressType: "FQDN", endpoints: [Fx.ep("example.com")])
        let (_, c, diags) = Fx.tracker([.service(Fx.service("web")), .endpointSlice(unlabelled), .endpointSlice(fqdn)])
        #expect(diags.isEmpty)
        #expect(try #require(Fx.ports(c.state, "web").first).internalTraffic == .reject)
    }

    @Test func slicePortsJoinByNameAndProtocol() throws {
        let svc = Fx.service("dns", ports: [ServicePortSpec(name: "dns", protocol: "UDP", port: 53),
                                            ServicePortSpec(name: "dns-tcp", protocol: "TCP", port: 53),
                                            ServicePortSpec(name: "metrics", protocol: "TCP", port: 9153)])
        let slice = Fx.slice("dns-1", service: "dns",
                             ports: [EndpointPortSpec(name: "dns", protocol: "UDP", port: 5353),
                                     EndpointPortSpec(name: "dns-tcp", protocol: "TCP", port: 5354),
                                     EndpointPortSpec(name: "metrics", protocol: "UDP", port: 9153)],
                             endpoints: [Fx.ep("10.244.1.1")])
        let (_, c, _) = Fx.tracker([.service(svc), .endpointSlice(slice)])
        let byName = Dictionary(uniqueKeysWithValues: Fx.ports(c.state, "dns").map { ($0.key.portName, $0) })
        #expect(Fx.endpointIPs(byName["dns"]?.clusterEndpoints ?? []) == ["10.244.1.1:5353"])
        #expect(Fx.endpointIPs(byName["dns-tcp"]?.clusterEndpoints ?? []) == ["10.244.1.1:5354"])
        #expect(byName["metrics"]?.clusterEndpoints == [])   // protocol differs
        #expect(byName["metrics"]?.internalTraffic == .reject)
    }

    @Test func unnamedPortsJoin() throws {
        let svc = Fx.service("web", ports: [ServicePortSpec(port: 80)])
        let slice = Fx.slice("web-1", service: "web", ports: [EndpointPortSpec(port: 8080)], endpoints: [Fx.ep("10.244.1.1")])
        let (_, c, _) = Fx.tracker([.service(svc), .endpointSlice(slice)])
        #expect(Fx.endpointIPs(try #require(Fx.ports(c.state, "web").first).clusterEndpoints) == ["10.244.1.1:8080"])
    }

    @Test func conditionDefaults() throws {
        let (_, c, _) = Fx.tracker([.endpointSlice(Fx.slice("web-1", service: "web", endpoints: [
            EndpointSpec(addresses: ["10.244.1.1"]),                                          // all missing: ready
            Fx.ep("10.244.1.2", ready: false),                                                 // not ready, not terminating
        ])), .service(Fx.service("web"))])
        #expect(Fx.endpointIPs(try #require(Fx.ports(c.state, "web").first).clusterEndpoints) == ["10.244.1.1:8080"])
    }
}
