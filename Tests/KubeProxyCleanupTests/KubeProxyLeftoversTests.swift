import SwitchyardCore
import Testing
@testable import KubeProxyCleanup

struct KubeProxyLeftoversTests {
    @Test func ipsetsAreAnAllowlistForBothFamilies() {
        let listing = "KUBE-CLUSTER-IP\nKUBE-6-CLUSTER-IP\nKUBE-SRC-3AFZ7ZHOYQ6G2YNW\nSWITCHYARD-CLUSTER-IP\nKUBE-6-SRC-X\n  KUBE-LOOP-BACK  \nKUBE-NODE-PORT-LOCAL-SCTP-HASH\n"
        #expect(KubeProxyLeftovers.ipsets(inListing: listing)
                == ["KUBE-CLUSTER-IP", "KUBE-6-CLUSTER-IP", "KUBE-LOOP-BACK", "KUBE-NODE-PORT-LOCAL-SCTP-HASH"])
        #expect(KubeProxyLeftovers.ipsets(inListing: "") == [])
    }

    @Test func nftablesTablesOnlyKubeProxys() {
        let listing = "table ip switchyard\ntable inet kube-proxy\ntable ip6 kube-proxy\ntable ip kube-proxy\ntable ip kube-proxy-x\n"
        #expect(KubeProxyLeftovers.nftablesTablesPresent(inListing: listing) == ["ip kube-proxy", "ip6 kube-proxy"])
        #expect(KubeProxyLeftovers.nftablesTablesPresent(inListing: "table ip switchyard\n") == [])
    }

    @Test func ipvsServicesOnlyOnKubeIPVS0OrNodePortsOfNodeAddresses() throws {
        let a = { (s: String) in IPAddress(s)! }
        let services: [(proto: L4Protocol, address: IPAddress, port: UInt16)] = [
            (.tcp, a("10.96.0.1"), 443),      // ClusterIP on kube-ipvs0: kube-proxy's
            (.udp, a("fd00:10:96::a"), 53),   // IPv6 ClusterIP on kube-ipvs0
            (.tcp, a("192.0.2.11"), 30080),   // NodePort on a node address
            (.tcp, a("192.0.2.11"), 8080),    // node address, not a NodePort: someone else's
            (.tcp, a("198.51.100.7"), 30080), // NodePort-ish port on an address that is not ours
            (.tcp, a("192.0.2.11"), 32768),   // just past the range
        ]
        let chosen = KubeProxyLeftovers.ipvsServicesToDelete(
            services, dummyAddresses: [a("10.96.0.1"), a("fd00:10:96::a")], nodeAddresses: [a("192.0.2.11"), a("127.0.0.1")])
        #expect(chosen == [0, 1, 2])
        #expect(KubeProxyLeftovers.ipvsServicesToDelete(services, dummyAddresses: [], nodeAddresses: []) == [])
    }

    @Test func parsesIPJSONAddresses() {
        let json = """
            [{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},
             {"ifindex":5,"ifname":"kube-ipvs0","addr_info":[{"family":"inet","local":"10.96.0.1","prefixlen":32},
                                                              {"family":"inet6","local":"fd00:10:96::1","prefixlen":128}]},
             {"ifindex":6,"ifname":"eth0"}]
            """
        let entries = InterfaceAddressListing.parse(json: json)
        #expect(entries.map { "\($0.interface) \($0.address)" } == ["lo 127.0.0.1", "kube-ipvs0 10.96.0.1", "kube-ipvs0 fd00:10:96::1"])
        #expect(InterfaceAddressListing.parse(json: "not json").isEmpty)
    }

    @Test func runnerReportsMissingToolsAndExitStatus() {
        let runner = CommandRunner()
        #expect(runner.run(["switchyard-no-such-tool-\(UInt32.random(in: 0...UInt32.max))"]).status == 127)
        let cat = runner.run(["cat"], input: "hello\n")
        #expect(cat.succeeded && cat.output == "hello\n")
        #expect(runner.run(["sh", "-c", "echo oops >&2; exit 3"]) == .init(status: 3, output: "", error: "oops\n"))
    }
}
