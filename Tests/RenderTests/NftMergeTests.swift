import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

/// The full render's de-duplication: `NftKeySet` answers as `Set<NftKey>` does, and the
/// parallel merge of every port equals merging the ports one by one.
@Suite struct NftMergeTests {
    static func randomKey(_ rng: inout some RandomNumberGenerator) -> NftKey {
        // Few distinct values, so keys repeat; both families.
        func address() -> IPAddress {
            Bool.random(using: &rng) ? IPAddress(v4: UInt32.random(in: 0..<6, using: &rng) | 0x0A00_0000)
                                     : IPAddress(v6High: 0xfd00, low: UInt64.random(in: 0..<6, using: &rng))
        }
        func frontend() -> NftFrontend {
            NftFrontend(address: Bool.random(using: &rng) ? nil : address(),
                        proto: L4Protocol.allCases.randomElement(using: &rng)!, port: UInt16.random(in: 80..<83, using: &rng))
        }
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return .address(address())
        case 1: return .prefix(CIDR(address: address(), prefixLength: Int.random(in: 8...32, using: &rng))!)
        case 2: return .addressPair(address(), address())
        case 3: return .frontend(frontend())
        case 4: return .slot(frontend(), UInt32.random(in: 0..<4, using: &rng))
        default: return .source(frontend(), CIDR(address: address(), prefixLength: Int.random(in: 16...32, using: &rng))!)
        }
    }

    @Test func keySetAnswersAsASet() {
        var rng = SystemRandomNumberGenerator()
        var fast = NftKeySet(), reference = Set<NftKey>()
        for _ in 0..<20_000 {
            let k = Self.randomKey(&rng)
            #expect(fast.insert(k) == reference.insert(k).inserted, "\(k)")
        }
        #expect(fast.count == reference.count)
    }

    /// Many ports sharing endpoints, cluster IPs and some external frontends (duplicates across
    /// ports), both families: `merge(all:)` equals the per-port merge.
    @Test func parallelMergeEqualsSerialMerge() {
        var ports: [ServicePort] = []
        for i in 0..<3_000 {
            let family: IPFamily = i % 4 == 0 ? .ipv6 : .ipv4
            func addr(_ n: Int) -> IPAddress { family == .ipv4 ? IPAddress(v4: 0x0AF4_0000 | UInt32(n)) : IPAddress(v6High: 0xfd00, low: UInt64(n)) }
            let eps = (0..<(1 + i % 5)).map { Endpoint(ip: addr(1_000 + (i * 7 + $0) % 400), port: 8080, isLocal: $0 == 0) }
            let key = ServicePortKey(service: ServiceName(namespace: "ns", name: "svc-\(i / 2)"), portName: "p\(i % 2)",
                                     proto: .tcp, family: family)
            ports.append(ServicePort(key: key, clusterIP: addr(i / 2), port: UInt16(80 + i % 2),
                                     nodePort: i % 3 == 0 ? UInt16(30_000 + i % 50) : nil,
                                     externalIPs: i % 10 == 0 ? [addr(50_000 + i % 20)] : [],
                                     clusterEndpoints: eps, localEndpoints: Array(eps.prefix(1)),
                                     internalTraffic: i % 11 == 0 ? .reject : .forward(.cluster),
                                     externalTraffic: i % 13 == 0 ? .drop : .forward(.cluster)))
        }
        for family in [NftFamily.ip, .ip6] {
            let objects = ports.filter { NftFamily($0.key.family) == family }.map {
                NftPortObjects($0, family: family, clusterMasquerade: .all, nodeAddresses: [])
            }
            var serial = NftElementMerger(), parallel = NftElementMerger()
            for o in objects { serial.merge(o.elements) }
            parallel.merge(all: objects)
            let a = serial.sorted, b = parallel.sorted
            #expect(a.map(\.0) == b.map(\.0))
            #expect(a.map(\.1) == b.map(\.1))
            #expect(a.contains { $0.1.count > 100 })
        }
    }
}
