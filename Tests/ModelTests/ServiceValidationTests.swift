import KubeObjects
import Model
import SwitchyardCore
import Testing

/// One malformed Service and the field its diagnostic must name.
struct BadService: Sendable, CustomTestStringConvertible {
    var label: String
    var field: String
    var namespace = "default"
    var name = "bad"
    var make: @Sendable () -> Service
    var testDescription: String { label }
}

private func bad(_ label: String, _ field: String, namespace: String = "default", name: String = "bad",
                 _ make: @escaping @Sendable () -> Service) -> BadService {
    BadService(label: label, field: field, namespace: namespace, name: name, make: make)
}

private let badServices: [BadService] = [
    bad("namespace not a label", "metadata.namespace", namespace: "Bad_NS") { Fx.service("bad", namespace: "Bad_NS") },
    bad("name not a label", "metadata.name", name: "Bad.Name") { Fx.service("Bad.Name") },
    bad("port name uppercase", "spec.ports[0].name") { Fx.service("bad", ports: [ServicePortSpec(name: "HTTP", port: 80)]) },
    bad("port name too long", "spec.ports[0].name") {
        Fx.service("bad", ports: [ServicePortSpec(name: String(repeating: "p", count: 64), port: 80)])
    },
    bad("duplicate port names", "spec.ports[1].name") {
        Fx.service("bad", ports: [ServicePortSpec(name: "a", port: 80), ServicePortSpec(name: "a", protocol: "UDP", port: 81)])
    },
    bad("two unnamed ports", "spec.ports[1].name") {
        Fx.service("bad", ports: [ServicePortSpec(port: 80), ServicePortSpec(port: 81)])
    },
    bad("port 0", "spec.ports[0].port") { Fx.service("bad", ports: [ServicePortSpec(name: "a", port: 0)]) },
    bad("port 65536", "spec.ports[0].port") { Fx.service("bad", ports: [ServicePortSpec(name: "a", port: 65536)]) },
    bad("port missing", "spec.ports[0].port") { Fx.service("bad", ports: [ServicePortSpec(name: "a")]) },
    bad("nodePort 70000", "spec.ports[0].nodePort") {
        Fx.service("bad", type: "NodePort", ports: [ServicePortSpec(name: "a", port: 80, nodePort: 70000)])
    },
    bad("nodePort negative", "spec.ports[0].nodePort") {
        Fx.service("bad", type: "NodePort", ports: [ServicePortSpec(name: "a", port: 80, nodePort: -1)])
    },
    bad("protocol ICMP", "spec.ports[0].protocol") { Fx.service("bad", ports: [ServicePortSpec(name: "a", protocol: "ICMP", port: 80)]) },
    bad("protocol lowercase", "spec.ports[0].protocol") { Fx.service("bad", ports: [ServicePortSpec(name: "a", protocol: "tcp", port: 80)]) },
    bad("clusterIP unparsable", "spec.clusterIP") {
        Fx.service("bad", clusterIPs: []) { $0.clusterIP = "10.96.0.300"; $0.clusterIPs = nil }
    },
    bad("clusterIPs second unparsable", "spec.clusterIPs[1]") { Fx.service("bad", clusterIPs: ["10.96.0.1", "fd00::zz"]) },
    bad("two IPv4 clusterIPs", "spec.clusterIPs[1]") { Fx.service("bad", clusterIPs: ["10.96.0.1", "10.96.0.2"]) },
    bad("externalIP unparsable", "spec.externalIPs[1]") { Fx.service("bad") { $0.externalIPs = ["192.0.2.1", "1.2.3"] } },
    bad("LB ingress IP unparsable", "status.loadBalancer.ingress[0].ip") {
        Fx.service("bad", type: "LoadBalancer",
                   status: ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: [LoadBalancerIngress(ip: "203.0.113.x")])))
    },
    bad("source range prefix 33", "spec.loadBalancerSourceRanges[0]") {
        Fx.service("bad") { $0.loadBalancerSourceRanges = ["10.0.0.0/33"] }
    },
    bad("source range without prefix", "spec.loadBalancerSourceRanges[0]") {
        Fx.service("bad") { $0.loadBalancerSourceRanges = ["10.0.0.1"] }
    },
    bad("source range annotation", "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges][1]") {
        Fx.service("bad", annotations: [ServiceValidation.sourceRangesAnnotation: "10.0.0.0/8,nonsense"])
    },
    bad("sessionAffinity unknown", "spec.sessionAffinity") { Fx.service("bad") { $0.sessionAffinity = "Cookie" } },
    bad("affinity timeout 0", "spec.sessionAffinityConfig.clientIP.timeoutSeconds") {
        Fx.service("bad") { $0.sessionAffinity = "ClientIP"; $0.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: 0)) }
    },
    bad("affinity timeout 86401", "spec.sessionAffinityConfig.clientIP.timeoutSeconds") {
        Fx.service("bad") { $0.sessionAffinity = "ClientIP"; $0.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: 86401)) }
    },
    bad("eTP unknown", "spec.externalTrafficPolicy") { Fx.service("bad") { $0.externalTrafficPolicy = "Nearby" } },
    bad("iTP OnlyLocal", "spec.internalTrafficPolicy") { Fx.service("bad") { $0.internalTrafficPolicy = "OnlyLocal" } },
    bad("type unknown", "spec.type") { Fx.service("bad", type: "Weird") },
    bad("healthCheckNodePort 70000", "spec.healthCheckNodePort") {
        Fx.service("bad", type: "LoadBalancer") { $0.externalTrafficPolicy = "Local"; $0.healthCheckNodePort = 70000 }
    },
    bad("IPVS scheduler unknown", "metadata.annotations[switchyard.io/ipvs-scheduler]") {
        Fx.service("bad", annotations: [ServiceValidation.ipvsSchedulerAnnotation: "random"])
    },
]

@Suite struct ServiceValidationTests {
    @Test(arguments: badServices)
    func malformedServiceIsRejectedAlone(_ c: BadService) throws {
        let good1 = Fx.service("alpha", clusterIPs: ["10.96.0.1"])
        let good2 = Fx.service("omega", clusterIPs: ["10.96.0.2"])
        // A valid version of the same service first: rejecting the new version must remove it.
        var t = ProxyStateTracker(config: Fx.config)
        t.apply([.upsert(.service(good1)), .upsert(.service(good2)),
                 .upsert(.service(Fx.service("bad")))])
        _ = t.commit()
        let before = t.state

        let diags = t.apply(.upsert(.service(c.make())))
        let d = try #require(diags.count == 1 ? diags.first : nil, "expected exactly one diagnostic, got \(diags)")
        #expect(d.kind == "Service")
        #expect(d.namespace == c.namespace)
        #expect(d.name == c.name)
        #expect(d.field == c.field)
        let changes = t.commit()
        #expect(changes.state.services[Fx.sn("alpha")] == before.services[Fx.sn("alpha")])
        #expect(changes.state.services[Fx.sn("omega")] == before.services[Fx.sn("omega")])
        #expect(changes.state.services[Fx.sn("alpha")] != nil)
        #expect(changes.state.services[Fx.sn(c.name, c.namespace)] == nil)
        #expect(before.services[Fx.sn("bad")] != nil)
        if c.namespace == "default" && c.name == "bad" {
            // The earlier valid version is gone, and only it changed.
            #expect(changes.state.services[Fx.sn("bad")] == nil)
            #expect(changes.changedServices == [Fx.sn("bad")])
        } else {
            // A rejected object under another identity leaves the valid one alone.
            #expect(changes.state.services[Fx.sn("bad")] == before.services[Fx.sn("bad")])
            #expect(changes.changedServices.isEmpty)
        }
    }

    @Test func validEdgeValuesAreAccepted() throws {
        let svc = Fx.service("edge", type: "LoadBalancer",
                             annotations: [ServiceValidation.ipvsSchedulerAnnotation: "mh"]) {
            $0.sessionAffinity = "ClientIP"
            $0.sessionAffinityConfig = SessionAffinityConfig(clientIP: ClientIPConfig(timeoutSeconds: 86400))
            $0.externalTrafficPolicy = "OnlyLocal"
            $0.loadBalancerSourceRanges = [" 10.0.0.0/8 ", "2001:db8::/32"]
            $0.healthCheckNodePort = 30100
        }
        guard case .handled(let v) = ServiceValidation.intake(svc, config: Fx.config) else {
            Issue.record("edge service rejected"); return
        }
        #expect(v.affinityTimeout == 86400)
        #expect(v.externalTrafficLocal)
        #expect(v.loadBalancerSourceRanges == [Fx.cidr("10.0.0.0/8"), Fx.cidr("2001:db8::/32")])
        #expect(v.healthCheckNodePort == 30100)
        #expect(v.ipvsScheduler == "mh")
    }

    @Test func affinityTimeoutDefaultsTo10800() {
        let svc = Fx.service("a") { $0.sessionAffinity = "ClientIP" }
        guard case .handled(let v) = ServiceValidation.intake(svc, config: Fx.config) else { Issue.record("rejected"); return }
        #expect(v.affinityTimeout == 10800)
        guard case .handled(let none) = ServiceValidation.intake(Fx.service("b"), config: Fx.config) else { Issue.record("rejected"); return }
        #expect(none.affinityTimeout == nil)
    }

    @Test func healthCheckNodePortOnlyForLocalLoadBalancers() {
        func hc(_ type: String, _ eTP: String?) -> UInt16? {
            let svc = Fx.service("a", type: type) { $0.externalTrafficPolicy = eTP; $0.healthCheckNodePort = 30200 }
            guard case .handled(let v) = ServiceValidation.intake(svc, config: Fx.config) else { return 0 }
            return v.healthCheckNodePort
        }
        #expect(hc("LoadBalancer", "Local") == 30200)
        #expect(hc("LoadBalancer", "Cluster") == nil)
        #expect(hc("NodePort", "Local") == nil)
    }

    @Test func missingPortsMeanNoServicePortsAndNoDiagnostic() {
        let (_, c, d) = Fx.tracker([.service(Fx.service("noports", ports: nil))])
        #expect(d.isEmpty)
        #expect(c.state.services.isEmpty)
    }

    @Test(arguments: [
        // label value, configured proxy name, handled
        (nil, nil, true), ("other", nil, false), ("other", "mine", false), ("mine", "mine", true), (nil, "mine", true),
    ] as [(String?, String?, Bool)])
    func serviceProxyName(_ label: String?, _ configured: String?, _ handled: Bool) {
        let svc = Fx.service("a", labels: label.map { [ServiceValidation.serviceProxyNameLabel: $0] })
        let config = NodeConfig(nodeName: Fx.nodeName, serviceProxyName: configured)
        let (_, c, d) = Fx.tracker([.service(svc)], config: config)
        #expect(d.isEmpty)
        #expect((c.state.services[Fx.sn("a")] != nil) == handled)
    }

    @Test func unhandledKindsAreIgnored() {
        let objects: [KubeObject] = [
            .service(Fx.service("headless", clusterIPs: ["None"])),
            .service(Fx.service("noip", clusterIPs: [])),
            .service(Fx.service("external", type: "ExternalName", clusterIPs: [])),
            .service(Fx.service("labelled", labels: [ServiceValidation.headlessLabel: ""])),
            .service(Fx.service("kept")),
        ]
        let (_, c, d) = Fx.tracker(objects)
        #expect(d.isEmpty)
        #expect(Array(c.state.services.keys) == [Fx.sn("kept")])
    }

    @Test func nodePortIgnoredOnClusterIPType() {
        let ports = [ServicePortSpec(name: "http", port: 80, nodePort: 30080)]
        let (_, c, _) = Fx.tracker([.service(Fx.service("cip", ports: ports)),
                                    .service(Fx.service("np", type: "NodePort", clusterIPs: ["10.96.0.11"], ports: ports)),
                                    .service(Fx.service("lb", type: "LoadBalancer", clusterIPs: ["10.96.0.12"], ports: ports))])
        #expect(Fx.ports(c.state, "cip").first?.nodePort == nil)
        #expect(Fx.ports(c.state, "np").first?.nodePort == 30080)
        #expect(Fx.ports(c.state, "lb").first?.nodePort == 30080)
    }

    @Test(arguments: [
        // trafficDistribution, topology-mode, topology-aware-hints, expected
        (nil, nil, nil, TopologyPreference.none),
        (nil, "Auto", nil, .zone), (nil, "auto", nil, .zone), (nil, "Disabled", nil, .none),
        (nil, nil, "Auto", .zone), (nil, "Disabled", "Auto", .none),
        ("PreferClose", nil, nil, .zone), ("PreferSameZone", nil, nil, .zone), ("PreferSameNode", nil, nil, .node),
        ("SomethingNew", nil, nil, .none),
    ] as [(String?, String?, String?, TopologyPreference)])
    func topologyPreference(_ distribution: String?, _ mode: String?, _ legacy: String?, _ expected: TopologyPreference) {
        var annotations: [String: String] = [:]
        annotations[ServiceValidation.topologyModeAnnotation] = mode
        annotations[ServiceValidation.topologyHintsAnnotation] = legacy
        let spec = ServiceSpec(trafficDistribution: distribution)
        #expect(ServiceValidation.topologyPreference(spec, annotations: annotations) == expected)
    }
}
