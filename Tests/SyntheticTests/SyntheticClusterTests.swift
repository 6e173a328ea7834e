import KubeObjects
import Synthetic
import SwitchyardCore
import Testing

@Suite struct SyntheticClusterTests {
    @Test func splitMix64MatchesTheReferenceStream() {
        // Published SplitMix64 outputs for seed 0 (Vigna's splitmix64.c).
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.next() == 0x6E78_9E6A_A1B9_65F4)
        #expect(g.next() == 0x06C4_5D18_8009_454F)
    }

    @Test func boundedDrawsStayInRangeAndCoverIt() {
        var g = SplitMix64(seed: 9)
        var seen = Set<Int>()
        for _ in 0..<2000 { let v = g.below(7); #expect((0..<7).contains(v)); seen.insert(v) }
        #expect(seen.count == 7)
        #expect(g.below(1) == 0 && g.below(0) == 0)
    }

    @Test func sameSeedSameObjectsDifferentSeedDifferentObjects() {
        let a = SyntheticCluster(seed: 11, services: 300, endpointsPerService: 5, mix: .everything).objects()
        let b = SyntheticCluster(seed: 11, services: 300, endpointsPerService: 5, mix: .everything).objects()
        let c = SyntheticCluster(seed: 12, services: 300, endpointsPerService: 5, mix: .everything).objects()
        #expect(a == b)
        #expect(a != c)
        #expect(ObjectIndex(a).clusterIPs != ObjectIndex(c).clusterIPs)
    }

    @Test(arguments: [(1, 200, 4), (3, 500, 10), (7, 1000, 1)] as [(Int, Int, Int)])
    func countsMatchTheArguments(nodes: Int, services: Int, endpoints: Int) {
        let cluster = SyntheticCluster(seed: 5, services: services, endpointsPerService: endpoints, nodes: nodes, mix: .everything)
        let idx = ObjectIndex(cluster.objects())
        #expect(idx.nodes.count == nodes)
        #expect(idx.nodes.first?.metadata.name == "node-0")
        #expect(idx.services.count == services)
        let families = idx.services.map { $0.spec?.ipFamilies?.count ?? 0 }.reduce(0, +)
        #expect(idx.slices.count == families)
        for slice in idx.slices { #expect(slice.endpoints?.count == endpoints) }
    }

    @Test func defaultMixFractionsAreExact() {
        let n = 1000
        let mix = ServiceMix.default
        let idx = ObjectIndex(SyntheticCluster(seed: 1, services: n, endpointsPerService: 2, mix: mix).objects())
        func count(_ p: (ServiceSpec) -> Bool) -> Int { idx.services.filter { $0.spec.map(p) ?? false }.count }
        func expected(_ f: Double, of total: Int = n) -> Int { Int((f * Double(total)).rounded()) }
        let lb = count { $0.type == "LoadBalancer" }, np = count { $0.type == "NodePort" }
        #expect(lb == expected(mix.loadBalancer))
        #expect(np == expected(mix.nodePort))
        #expect(count { $0.type == "ClusterIP" } == n - lb - np)
        #expect(count { $0.externalTrafficPolicy == "Local" } == expected(mix.externalTrafficLocal, of: lb + np))
        #expect(count { $0.internalTrafficPolicy == "Local" } == expected(mix.internalTrafficLocal))
        #expect(count { $0.sessionAffinity == "ClientIP" } == expected(mix.clientIPAffinity))
        #expect(count { ($0.ports?.count ?? 0) > 1 } == expected(mix.multiPort))
        #expect(count { $0.ports?.first?.protocol == "UDP" } == expected(mix.udp))
        #expect(count { ($0.ipFamilies ?? []) != ["IPv4"] } == 0)
        let eps = idx.slices.flatMap { $0.endpoints ?? [] }
        let terminating = eps.filter { $0.conditions?.terminating == true }.count
        #expect(terminating > 0 && terminating < eps.count / 10)
    }

    @Test func dualStackAndIPv6ServicesHaveMatchingIPsAndSlices() throws {
        let mix = ServiceMix(dualStack: 0.3, ipv6Only: 0.2)
        let idx = ObjectIndex(SyntheticCluster(seed: 2, services: 200, endpointsPerService: 3, mix: mix).objects())
        let v4 = try #require(CIDR("10.96.0.0/12")), v6 = try #require(CIDR("fd00:10:96::/108"))
        var dual = 0, only6 = 0
        for s in idx.services {
            let spec = try #require(s.spec)
            let ips = (spec.clusterIPs ?? []).compactMap { IPAddress($0) }
            #expect(ips.map(\.family.rawValue) == spec.ipFamilies)
            #expect(spec.clusterIP == spec.clusterIPs?.first)
            for ip in ips { #expect(v4.contains(ip) || v6.contains(ip)) }
            let slices = idx.slices.filter { idx.serviceRef(of: $0) == idx.ref(s) }
            #expect(slices.compactMap(\.addressType) == spec.ipFamilies ?? [])
            if ips.count == 2 { dual += 1 } else if ips.first?.family == .ipv6 { only6 += 1 }
        }
        #expect(dual == 60 && only6 == 40)
        #expect(idx.nodes.allSatisfy { ($0.spec?.podCIDRs?.count ?? 0) == 2 })
    }

    @Test func addressesAreUniqueAndInTheirRanges() throws {
        let cluster = SyntheticCluster(seed: 3, services: 2000, endpointsPerService: 6, nodes: 4, mix: .everything)
        let idx = ObjectIndex(cluster.objects())
        #expect(idx.clusterIPs.isUnique)
        #expect(!idx.clusterIPs.contains("10.96.0.1") && !idx.clusterIPs.contains("10.96.0.10"))
        #expect(idx.nodePorts.isUnique)
        #expect(idx.nodePorts.allSatisfy { (30000...32767).contains($0) })
        let lbIPs = idx.services.flatMap { $0.status?.loadBalancer?.ingress?.compactMap(\.ip) ?? [] }
        #expect(lbIPs.count > 508) // the overflow range is exercised
        #expect(lbIPs.isUnique)
        #expect(lbIPs.allSatisfy { IPAddress($0) != nil })

        let nodeIndex = Dictionary(uniqueKeysWithValues: idx.nodes.enumerated().map { ($1.metadata.name!, $0) })
        for node in idx.nodes {
            let ip = try #require(node.status?.addresses?.first?.address.flatMap { IPAddress($0) })
            #expect(try #require(CIDR("192.0.2.0/24")).contains(ip))
        }
        for slice in idx.slices {
            let addresses = (slice.endpoints ?? []).flatMap { $0.addresses ?? [] }
            #expect(addresses.isUnique, "\(slice.metadata.name ?? "")")
            for ep in slice.endpoints ?? [] {
                let n = try #require(ep.nodeName.flatMap { nodeIndex[$0] })
                let ip = try #require(ep.addresses?.first.flatMap { IPAddress($0) })
                let podCIDR = ip.family == .ipv4 ? "10.244.\(n).0/24" : "fd00:10:244:\(String(n, radix: 16))::/64"
                #expect(try #require(CIDR(podCIDR)).contains(ip))
                #expect(ip.family.rawValue == slice.addressType)
            }
        }
    }

    @Test func everySliceJoinsAnExistingServiceByPortName() {
        let idx = ObjectIndex(SyntheticCluster(seed: 4, services: 400, endpointsPerService: 2, mix: .everything).objects())
        let byRef = Dictionary(uniqueKeysWithValues: idx.services.map { (idx.ref($0), $0) })
        for slice in idx.slices {
            let ref = idx.serviceRef(of: slice)
            let service = ref.flatMap { byRef[$0] }
            #expect(service != nil, "slice \(slice.metadata.name ?? "") has no service")
            let servicePorts = Set((service?.spec?.ports ?? []).compactMap(\.name))
            #expect(Set((slice.ports ?? []).compactMap(\.name)) == servicePorts)
        }
        #expect(idx.slices.map { "\($0.metadata.namespace!)/\($0.metadata.name!)" }.isUnique)
    }

    @Test func nodePortsAreCappedByTheRangeOrAllocatedAboveIt() {
        let mix = ServiceMix(nodePort: 1)
        let capped = ObjectIndex(SyntheticCluster(seed: 6, services: 3000, endpointsPerService: 1, mix: mix).objects())
        #expect(capped.nodePorts.count == 2768)
        #expect(capped.nodePorts.isUnique)
        #expect(capped.services.filter { $0.spec?.type == "NodePort" }.count == 2768)
        #expect(capped.services.filter { $0.spec?.type == "ClusterIP" }.allSatisfy { $0.spec?.ports?.first?.nodePort == nil })

        let wide = ObjectIndex(SyntheticCluster(seed: 6, services: 3000, endpointsPerService: 1, mix: mix,
                                                nodePortRange: 30000...65535).objects())
        #expect(wide.services.allSatisfy { $0.spec?.type == "NodePort" })
        #expect(wide.nodePorts.isUnique && wide.nodePorts.count == 3000)
    }

    @Test func loadBalancersWithLocalPolicyGetAHealthCheckPort() {
        let mix = ServiceMix(loadBalancer: 1, externalTrafficLocal: 1)
        let idx = ObjectIndex(SyntheticCluster(seed: 8, services: 50, endpointsPerService: 1, mix: mix).objects())
        for s in idx.services {
            #expect(s.spec?.healthCheckNodePort != nil)
            #expect(s.status?.loadBalancer?.ingress?.count == 1)
        }
        #expect(idx.nodePorts.isUnique)
    }

    @Test func degenerateArgumentsAreClamped() {
        let empty = SyntheticCluster(seed: 0, services: 0, endpointsPerService: 0, nodes: 0)
        #expect(empty.objects().count == 1) // one node
        let tooMany = SyntheticCluster(seed: 0, services: 2, endpointsPerService: 10_000, nodes: 1)
        #expect(tooMany.endpointsPerService == 254)
        let addresses = tooMany.endpointSlices[0].endpoints!.flatMap { $0.addresses! }
        #expect(addresses.isUnique && addresses.count == 254)
        let renamed = SyntheticCluster(seed: 0, services: 1, endpointsPerService: 1, nodes: 3, nodeName: "node-1")
        #expect(renamed.nodes.map(\.metadata.name) == ["node-1", "node-2", "node-3"])
    }
}
