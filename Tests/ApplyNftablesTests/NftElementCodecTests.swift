import RenderNftables
import SwitchyardCore
import Testing
@testable import ApplyNftables

/// The netlink codec encodes typed elements into the kernel's register layout, and refuses
/// elements that do not fit their set (they then go through nft). The kernel-level proof is
/// `NftFullLoadTests` (fast path and nft path leave identical listings).
@Suite("nftables element codec")
struct NftElementCodecTests {
    let cip = IPAddress("10.96.0.10")!
    let pod = IPAddress("10.244.1.5")!
    let v6 = IPAddress("fd00:10:96::a")!

    /// The 32-bit host-order bytes numgen writes for `i`.
    func hostOrder(_ i: UInt32) -> [UInt8] { withUnsafeBytes(of: i) { Array($0) } }

    @Test func endpointSlotKeyAndData() throws {
        let el = NftElement(.slot(NftFrontend(address: cip, proto: .tcp, port: 80), 2), data: .endpoint(pod, 8080))
        let key = try #require(NftElementCodec.key(el, set: "cip_eps_3", family: .ip))
        #expect(key == [10, 96, 0, 10, 6, 0, 0, 0, 0, 80, 0, 0] + hostOrder(2))
        #expect(NftElementCodec.data(el, set: "cip_eps_3", family: .ip) == .value([10, 244, 1, 5, 0x1f, 0x90, 0, 0]))
        // NodePort endpoint maps are keyed without the address.
        let np = NftElement(.slot(NftFrontend(address: nil, proto: .udp, port: 30053), 0), data: .endpoint(pod, 53))
        #expect(NftElementCodec.key(np, set: "npext_eps_1", family: .ip) == [17, 0, 0, 0, 0x75, 0x65, 0, 0] + hostOrder(0))
        #expect(NftElementCodec.key(np, set: "cip_eps_1", family: .ip) == nil, "address missing")
        #expect(NftElementCodec.key(el, set: "npext_eps_3", family: .ip) == nil, "address where none belongs")
    }

    @Test func setKeysAndVerdicts() throws {
        let fe = NftFrontend(address: v6, proto: .sctp, port: 443)
        let key = try #require(NftElementCodec.key(NftElement(.frontend(fe)), set: "reject_addr", family: .ip6))
        #expect(key == v6.bytes + [132, 0, 0, 0, 0x01, 0xbb, 0, 0])
        #expect(NftElementCodec.key(NftElement(.address(cip)), set: "cluster_ips", family: .ip) == [10, 96, 0, 10])
        #expect(NftElementCodec.key(NftElement(.addressPair(pod, pod)), set: "hairpin", family: .ip) == pod.bytes + pod.bytes)
        let fe4 = NftFrontend(address: cip, proto: .tcp, port: 80)
        let aff = NftElement(.frontend(fe4), data: .endpoint(pod, 8080))
        // Affinity position maps: frontend → address . port; affinity frontend sets: plain.
        #expect(NftElementCodec.key(aff, set: "cipaff_eps_2", family: .ip) == [10, 96, 0, 10, 6, 0, 0, 0, 0, 80, 0, 0])
        #expect(NftElementCodec.data(aff, set: "cipaff_eps_2", family: .ip) == .value(pod.bytes + [0x1f, 0x90, 0, 0]))
        #expect(NftElementCodec.key(NftElement(.frontend(NftFrontend(address: nil, proto: .udp, port: 30000))), set: "npextaff_eps_0", family: .ip)
                == [17, 0, 0, 0, 0x75, 0x30, 0, 0])
        #expect(NftElementCodec.data(NftElement(.frontend(fe4)), set: "cipaff_3_10800", family: .ip) == NftElementCodec.ElementData.none)
        #expect(NftElementCodec.data(NftElement(.frontend(fe4)), set: "cipaff_eps_0", family: .ip) == nil, "a position map needs an endpoint")
        #expect(NftElementCodec.data(NftElement(.frontend(fe4), data: .goto("x")), set: "cip_3", family: .ip) == nil,
                "no verdicts anywhere")
        #expect(NftElementCodec.data(aff, set: "cip_3", family: .ip) == nil, "a plain set takes no data")
    }

    @Test func refusesWhatDoesNotFit() {
        let fe = NftElement(.frontend(NftFrontend(address: cip, proto: .tcp, port: 80)))
        #expect(NftElementCodec.key(fe, set: "cip_3", family: .ip6) == nil, "IPv4 key in an ip6 table")
        #expect(NftElementCodec.key(fe, set: "cluster_ips", family: .ip) == nil, "frontend in an address set")
        #expect(NftElementCodec.key(NftElement(.prefix(CIDR("10.244.0.0/16")!)), set: "pod_cidrs", family: .ip) == nil, "interval sets go through nft")
        #expect(NftElementCodec.key(fe, set: "cip_03", family: .ip) == nil, "not a name the renderer makes")
        #expect(NftElementCodec.layout("lb_allowed") == nil)
    }
}
