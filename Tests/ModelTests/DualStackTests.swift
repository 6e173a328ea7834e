import KubeObjects
import Model
import SwitchyardCore
import Testing

@Suite struct DualStackTests {
    private func lbService(edit: @escaping (inout ServiceSpec) -> Void = { _ in }, annotations: [String: String]? = nil) -> Service {
        Fx.service("web", type: "LoadBalancer", clusterIPs: ["10.96.0.10", "fd00:10:96::10"],
                   ports: [ServicePortSpec(name: "http", port: 80, nodePort: 30080)], annotations: annotations,
                   status: ServiceStatus(loadBalancer: LoadBalancerStatus(ingress: [
                       LoadBalancerIngress(ip: "203.0.113.7"), LoadBalancerIngress(ip: "2001:db8::7", ipMode: "VIP"),
                       LoadBalancerIngress(ip: "203.0.113.8", ipMode: "Proxy"), LoadBalancerIngress(hostname: "lb.example.com"),
                   ]))) {
            $0.externalIPs = ["198.51.100.3", "2001:db8::3", "198.51.100.2", "198.51.100.3"]
            edit(&$0)
        }
    }

    private var slices: [KubeObject] {
        [.endpointSlice(Fx.slice("web-v4", service: "web", endpoints: [Fx.ep("10.244.1.1")])),
         .endpointSlice(Fx.slice("web-v6", service: "web", addressType: "IPv6", endpoints: [Fx.ep("fd00:10:244::1")]))]
    }

    @Test func onePortPerFamilyWithFamilyFilteredAddresses() throws {
        let (_, c, diags) = Fx.tracker([.service(lbService())] + slices)
        #expect(diags.isEmpty)
        let ports = Fx.ports(c.state, "web")
        #expect(ports.map(\.key.family) == [.ipv4, .ipv6])
        let v4 = ports[0], v6 = ports[1]
        #expect(v4.clusterIP == Fx.ip("10.96.0.10"))
        #expect(v6.clusterIP == Fx.ip("fd00:10:96::10"))
        #expect(v4.externalIPs == [Fx.ip("198.51.100.2"), Fx.ip("198.51.100.3")])
        #expect(v6.externalIPs == [Fx.ip("2001:db8::3")])
        // ipMode Proxy and hostname-only ingress are not programmed.
        #expect(v4.loadBalancerIPs == [Fx.ip("203.0.113.7")])
        #expect(v6.loadBalancerIPs == [Fx.ip("2001:db8::7")])
        #expect(Fx.endpointIPs(v4.clusterEndpoints) == ["10.244.1.1:8080"])
        #expect(Fx.endpointIPs(v6.clusterEndpoints) == ["[fd00:10:244::1]:8080"])
        #expect(v4.nodePort == 30080 && v6.nodePort == 30080)
    }

    @Test func singleStackNodeIgnoresOtherFamily() {
        let config = NodeConfig(nodeName: Fx.nodeName, families: [.ipv6])
        let (_, c, _) = Fx.tracker([.service(lbService())] + slices, config: config)
        #expect(Fx.ports(c.state, "web").map(\.key.family) == [.ipv6])
        // A v4-only service has no port on a v6-only node and is absent.
        let (_, c2, _) = Fx.tracker([.service(Fx.service("v4only"))], config: config)
        #expect(c2.state.services.isEmpty)
    }

    @Test func clusterIPFallbackWhenClusterIPsMissing() {
        let svc = Fx.service("web", clusterIPs: []) { $0.clusterIP = "10.96.0.10"; $0.clusterIPs = nil }
        let (_, c, _) = Fx.tracker([.service(svc)])
        #expect(Fx.ports(c.state, "web").map(\.clusterIP) == [Fx.ip("10.96.0.10")])
    }

    @Test func sourceRangesPerFamily() {
        let (_, c, _) = Fx.tracker([.service(lbService { $0.loadBalancerSourceRanges = ["192.0.2.0/24", "2001:db8:1::/48", "198.51.100.0/24"] })])
        let ports = Fx.ports(c.state, "web")
        #expect(ports[0].loadBalancerSourceRanges == [Fx.cidr("192.0.2.0/24"), Fx.cidr("198.51.100.0/24")])
        #expect(ports[1].loadBalancerSourceRanges == [Fx.cidr("2001:db8:1::/48")])
    }

    @Test func sourceRangesAnnotationOnlyWhenFieldEmpty() {
        let ann = [ServiceValidation.sourceRangesAnnotation: "192.0.2.0/24, 2001:db8:1::/48"]
        let (_, c, _) = Fx.tracker([.service(lbService(annotations: ann))])
        #expect(Fx.ports(c.state, "web").map(\.loadBalancerSourceRanges) == [[Fx.cidr("192.0.2.0/24")], [Fx.cidr("2001:db8:1::/48")]])
        let (_, c2, _) = Fx.tracker([.service(lbService(edit: { $0.loadBalancerSourceRanges = ["203.0.113.0/24"] }, annotations: ann))])
        #expect(Fx.ports(c2.state, "web").map(\.loadBalancerSourceRanges) == [[Fx.cidr("203.0.113.0/24")], []])
    }

    @Test func ingressIgnoredUnlessLoadBalancer() {
        var svc = lbService()
        svc.spec?.type = "NodePort"
        let (_, c, _) = Fx.tracker([.service(svc)])
        #expect(Fx.ports(c.state, "web").allSatisfy { $0.loadBalancerIPs.isEmpty })
    }

    @Test func annotationsAndLabelsAreNotCopied() {
        let svc = Fx.service("web", labels: ["app": "x\u{7}"],
                             annotations: ["evil": "\"; drop", ServiceValidation.ipvsSchedulerAnnotation: "sh"])
        let (_, c, _) = Fx.tracker([.service(svc)])
        let p = Fx.ports(c.state, "web")
        #expect(p.map(\.ipvsScheduler) == ["sh"])
        #expect(!String(describing: c.state).contains("drop"))
    }
}
