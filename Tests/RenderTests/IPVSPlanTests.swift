import Foundation
import Model
import RenderIPVS
import SwitchyardCore
import Testing

@Suite struct IPVSPlanTests {
    typealias F = IPVSFixtures
    let plan = IPVSRenderer().plan(IPVSFixtures.goldenState())

    func vs(_ proto: L4Protocol, _ addr: String, _ port: UInt16) throws -> IPVSVirtualServer {
        try #require(plan.virtualServers[.inet(proto: proto, address: F.ip(addr), port: port)])
    }
    func members(_ role: IPVSSetRole, _ fam: IPFamily = .ipv4) -> Set<String> {
        Set((plan.ipsets[role.name(fam)]?.members ?? []).map(\.description))
    }
    func dests(_ v: IPVSVirtualServer) -> [String] { v.destinations.map { "\($0.key)" } }

    @Test func goldenText() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/ipvs/full.txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" {
            try plan.text.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(plan.text == golden)
    }

    @Test func jsonIsValidAndDescribesThePlan() throws {
        let out = IPVSRenderer().renderFull(F.goldenState())
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.json.utf8)) as? [String: Any])
        let p = try #require(obj["plan"] as? [String: Any])
        #expect((p["virtualServers"] as? [Any])?.count == plan.virtualServers.count)
        #expect((obj["operations"] as? [Any])?.count == out.operations.count)
    }

    @Test func clusterIPUsesInternalAndExternalPathsUseExternalEndpoints() throws {
        // eTP=Local LB: ClusterIP gets cluster endpoints, the LB IP and NodePort only local ones.
        #expect(dests(try vs(.tcp, "10.96.0.30", 443)) == ["10.244.1.9:8443", "10.244.2.9:8443"])
        #expect(dests(try vs(.tcp, "198.51.100.20", 443)) == ["10.244.1.9:8443"])
        #expect(dests(try vs(.tcp, "192.0.2.10", 30443)) == ["10.244.1.9:8443"])
        #expect(members(.loadBalancerLocal) == ["198.51.100.20,tcp:443"])
        #expect(members(.nodePortLocalTCP).contains("30443"))
    }

    @Test func affinityBecomesPersistenceAndSchedulerIsPerPort() throws {
        let web = try vs(.tcp, "10.96.0.20", 80)
        #expect(web.service.flags.contains(.persistent) && web.service.timeout == 10800)
        #expect(web.service.scheduler == "lc")
        #expect(web.service.netmaskPrefix == 32)
        let web6 = try vs(.tcp, "fd00:10:96::20", 80)
        #expect(web6.service.netmaskPrefix == 128 && web6.service.flags.contains(.persistent))
        let dns = try vs(.udp, "10.96.0.10", 53)
        #expect(dns.service.scheduler == "rr" && dns.service.flags.isEmpty && dns.service.timeout == 0)
        #expect(try vs(.udp, "10.96.0.50", 9000).service.flags.contains(.sched2))
        #expect(dns.destinations.allSatisfy { $0.weight == 1 && $0.forwarding == .masquerade })
    }

    @Test func rejectAndDropHaveNoRealServersAndAreInTheirSets() throws {
        #expect(try vs(.udp, "10.96.0.50", 9000).destinations.isEmpty)
        #expect(members(.reject).contains("10.96.0.50,udp:9000"))
        #expect(members(.nodePortRejectUDP) == ["30900"])
        #expect(try vs(.tcp, "10.96.0.40", 8080).destinations.isEmpty)
        #expect(members(.drop) == ["10.96.0.40,tcp:8080"])
        #expect(members(.nodePortDropTCP) == ["30090"])
        #expect(try vs(.tcp, "192.0.2.10", 30090).destinations.isEmpty)
    }

    @Test func dummyAddressesAreServiceAddressesOnly() {
        let addrs = Set(plan.addresses.map(\.description))
        #expect(addrs.isSuperset(of: ["10.96.0.10", "10.96.0.20", "fd00:10:96::20", "203.0.113.10", "198.51.100.20"]))
        #expect(!addrs.contains("192.0.2.10") && !addrs.contains("2001:db8::10"))
        #expect(members(.ipvsIPs) == Set(plan.addresses.filter { $0.family == .ipv4 }.map(\.description)))
    }

    @Test func setsCarryMasqueradeHairpinAndSourceRanges() {
        #expect(members(.clusterIP).contains("10.96.0.10,udp:53"))
        #expect(members(.externalIP) == ["203.0.113.10,tcp:80"])
        #expect(members(.loopback).contains("10.244.1.5,udp:53,10.244.1.5"))
        #expect(!members(.loopback).contains { $0.hasPrefix("10.244.2.") })
        #expect(members(.loadBalancerFirewall) == ["198.51.100.20,tcp:443"])
        #expect(members(.loadBalancerSourceCIDR) == ["198.51.100.20,tcp:443,192.0.2.0/24", "198.51.100.20,tcp:443,203.0.113.0/24"])
        #expect(members(.loadBalancerSourceIP) == ["198.51.100.20,tcp:443,198.51.100.20"])
        #expect(members(.healthCheckNodePort) == ["32000"])
        #expect(members(.nodePortSCTP) == ["192.0.2.10,sctp:30777"])
        #expect(members(.nodePortTCP, .ipv6) == ["30080"])
        #expect(plan.ipsets.keys.allSatisfy { $0.count <= 31 && $0.hasPrefix("SWITCHYARD-") })
    }

    @Test func clusterMasqueradeFollowsTheModel() throws {
        let v4 = try #require(plan.iptables[.ipv4]).restoreText
        #expect(v4.contains("-A SWITCHYARD-CLUSTER-MASQ -s 10.244.0.0/16 -j RETURN"))
        let all = IPVSRenderer().plan(F.state([], config: F.config(masqueradeAll: true)))
        let allText = try #require(all.iptables[.ipv4]).restoreText
        #expect(allText.contains("--match-set SWITCHYARD-CLUSTER-IP dst,dst -j SWITCHYARD-MARK-MASQ"))
        #expect(!allText.contains("SWITCHYARD-CLUSTER-MASQ"))
    }

    @Test func allLocalNodePortsUseInjectedAddressesOrAPlaceholder() throws {
        let p = F.port(F.key("default", "np"), clusterIP: "10.96.0.70", port: 80, nodePort: 30070, endpoints: [F.ep("10.244.2.1", 80)])
        let s = F.state([p], config: F.config(nodePortAddresses: [F.cidr("0.0.0.0/0")]))
        #expect(s.nodePortAddresses(family: .ipv4) == .allLocal)
        let placeholder = IPVSRenderer().plan(s)
        #expect(placeholder.virtualServers[.inet(proto: .tcp, address: F.ip("0.0.0.0"), port: 30070)] != nil)
        let resolved = IPVSRenderer(options: IPVSOptions(localAddresses: [F.ip("192.0.2.10"), F.ip("198.51.100.5"), F.ip("127.0.0.1")])).plan(s)
        let npKeys = resolved.virtualServers.keys.filter { if case .inet(_, _, 30070) = $0 { return true }; return false }
        #expect(Set(npKeys.compactMap(\.address).map(\.description)) == ["192.0.2.10", "198.51.100.5"])
    }

    @Test func singleStackNodeIgnoresOtherFamily() {
        let p = IPVSRenderer().plan(IPVSFixtures.state(IPVSFixtures.goldenState().allPorts, config: F.config(families: [.ipv4])))
        #expect(p.virtualServers.keys.allSatisfy { $0.family == .ipv4 })
        #expect(p.iptables.keys.sorted() == [.ipv4])
        #expect(p.ipsets.values.allSatisfy { $0.family == .ipv4 })
    }
}
