import Glibc
import IPVSNetlink
import Model
import RenderIPVS
import SwitchyardCore
import Testing
import Diff
@testable import ApplyIPVS

/// The applier against the UML guest's real IPVS, ipset and iptables-legacy, each test in its own
/// namespaces (run by scripts/test-ipvs).
@Suite(.serialized, .enabled(if: UMLGuest.hasIPVS, "needs the UML guest (scripts/test-ipvs)"))
struct IPVSApplierKernelTests {
    typealias F = IPVSFixtures

    /// A node namespace with routes to the pod and node ranges (IPVS refuses real servers without a
    /// route: the kernel checks the destination's route type).
    static func prepareNode(_ ns: String) throws {
        try UMLGuest.sh(ns, """
            ip link add sy-pods type dummy && ip link set sy-pods up
            ip addr add 192.0.2.10/24 dev sy-pods && ip addr add 10.244.0.1/16 dev sy-pods
            ip -6 addr add 2001:db8::10/64 dev sy-pods nodad && ip -6 addr add fd00:10:244::1/48 dev sy-pods nodad
            """)
    }

    static func client(_ ns: String) throws -> IPVSClient { try NamespaceThread.run(netns: ns) { try IPVSClient() } }

    /// The kernel's virtual servers as (service, real servers) by key.
    static func dump(_ c: IPVSClient) throws -> [IPVSNetlink.IPVSServiceKey: (IPVSNetlink.IPVSService, Set<IPVSNetlink.IPVSDestination>)] {
        var out: [IPVSNetlink.IPVSServiceKey: (IPVSNetlink.IPVSService, Set<IPVSNetlink.IPVSDestination>)] = [:]
        for s in try c.services() { out[s.service.key] = (s.service, Set(try c.destinations(of: s.service.key).map(\.destination))) }
        return out
    }

    static func expected(_ plan: IPVSPlan) -> [IPVSNetlink.IPVSServiceKey: (IPVSNetlink.IPVSService, Set<IPVSNetlink.IPVSDestination>)] {
        var out: [IPVSNetlink.IPVSServiceKey: (IPVSNetlink.IPVSService, Set<IPVSNetlink.IPVSDestination>)] = [:]
        for vs in plan.virtualServers.values {
            let s = IPVSConversion.kernelService(vs.service)
            out[s.key] = (s, Set(vs.destinations.map(IPVSConversion.kernelDestination)))
        }
        return out
    }

    static func same(_ a: [IPVSNetlink.IPVSServiceKey: (IPVSNetlink.IPVSService, Set<IPVSNetlink.IPVSDestination>)],
                     _ b: [IPVSNetlink.IPVSServiceKey: (IPVSNetlink.IPVSService, Set<IPVSNetlink.IPVSDestination>)]) -> Bool {
        a.count == b.count && a.allSatisfy { k, v in b[k].map { $0.0 == v.0 && $0.1 == v.1 } ?? false }
    }

    @Test func programDumpCompareIncrementalRestartAndCleanup() async throws {
        try await UMLGuest.withNamespaces(["node"]) { names in
            let ns = names[0]
            try Self.prepareNode(ns)
            let applier = IPVSApplier(netns: ns, iptables: UMLGuest.iptables)
            var state = F.goldenState()
            _ = try await applier.applyFull(state)
            let c = try Self.client(ns)
            let plan = try #require(await applier.record).plan
            #expect(Self.same(try Self.dump(c), Self.expected(plan)))
            let onLink = try UMLGuest.sh(ns, "ip -o addr show dev switchyard-ipvs")
            let routed = try UMLGuest.sh(ns, "ip -4 route show table local dev switchyard-ipvs proto 83")
            for a in plan.addresses {
                if a.family == .ipv4 {
                    #expect(routed.contains("local \(a) "), "\(a): a local route through the dummy interface")
                    #expect(!onLink.contains(" \(a)/"), "\(a): no address")
                } else {
                    #expect(onLink.contains(" \(a)/"), "\(a) on the dummy interface")
                }
            }
            let sets = try UMLGuest.sh(ns, "ipset list SWITCHYARD-CLUSTER-IP")
            #expect(sets.contains("10.96.0.10,udp:53"))
            let nat = try UMLGuest.sh(ns, "iptables-legacy-save -t nat")
            #expect(nat.occurrences(of: "-j SWITCHYARD-SERVICES") == 2, "PREROUTING and OUTPUT jump once each")
            #expect(try UMLGuest.sh(ns, "cat /proc/sys/net/ipv4/vs/conntrack").hasPrefix("1"))

            // Incremental: one endpoint more for web, dns removed entirely.
            let web = state.allPorts.first { $0.key.service.name == "web" && $0.key.family == .ipv4 }!
            var web2 = web
            web2.clusterEndpoints.append(F.ep("10.244.2.30", 8080))
            let dns = state.services[F.key("kube-system", "dns").service]!.ports
            state.services[web.key.service]!.ports = state.services[web.key.service]!.ports.map { $0.key == web.key ? web2 : $0 }
            state.services[F.key("kube-system", "dns").service] = nil
            let clock = ContinuousClock.now
            _ = try await applier.applyIncremental(StateDiff(removed: dns, changed: [PortChange(old: web, new: web2)]), state: state)
            print("IPVS-APPLY incremental (1 endpoint + 1 service removed): \(ContinuousClock.now - clock)")
            let plan2 = try #require(await applier.record).plan
            #expect(plan2 == IPVSRenderer(options: try #require(await applier.record).options).plan(state))
            #expect(Self.same(try Self.dump(c), Self.expected(plan2)))
            #expect(!(try UMLGuest.sh(ns, "ip -4 route show table local dev switchyard-ipvs")).contains("local 10.96.0.10 "))

            // Restart: a new applier finds real servers at weight 0 (left by a drain) and restores them.
            let webKey = IPVSNetlink.IPVSServiceKey.address(protocol: .tcp, address: F.ip("10.96.0.20"), port: 80)
            let stale = IPVSNetlink.IPVSDestination(address: F.ip("10.244.2.31"), port: 8080, weight: 0)
            var zero = IPVSNetlink.IPVSDestination(address: F.ip("10.244.2.30"), port: 8080)
            zero.weight = 0
            try c.executeOrThrow([.setDestination(webKey, zero), .newDestination(webKey, stale)])
            let restarted = IPVSApplier(netns: ns, iptables: UMLGuest.iptables)
            let report = try await restarted.applyFull(state)
            #expect(report.driftRepaired == 0, "a new applier has no record to drift from")
            let webDests = try c.destinations(of: webKey)
            #expect(webDests.first { $0.destination.address == zero.address }?.destination.weight == 1)
            #expect(!webDests.contains { $0.destination.address == stale.address }, "idle, unwanted: deleted")
            #expect(Self.same(try Self.dump(c), Self.expected(plan2)))
            #expect((try UMLGuest.sh(ns, "iptables-legacy-save -t nat")).occurrences(of: "-j SWITCHYARD-SERVICES") == 2)

            try await restarted.cleanup()
            #expect(try c.services().isEmpty)
            #expect(!(try UMLGuest.sh(ns, "ip -o link")).contains("switchyard-ipvs"))
            #expect(!(try UMLGuest.sh(ns, "ip route show table local")).contains("proto 83"), "the routes went with the link")
            #expect(!(try UMLGuest.sh(ns, "iptables-legacy-save")).contains("SWITCHYARD"))
            #expect(!(try UMLGuest.sh(ns, "ipset list -n")).contains("SWITCHYARD"))
        }
    }

    /// A TCP connection held open through the virtual server keeps its removed real server at
    /// weight 0; once it closes, the drain check deletes it.
    /// IPv4 service addresses an older version left as addresses on the dummy interface become
    /// local routes (planned) or go (unplanned) in the first full sync. Deleting a link's last IPv4
    /// address makes the kernel drop every route through it: a later sync must not lose ours.
    @Test func addressesOfAnOlderVersionBecomeRoutes() async throws {
        try await UMLGuest.withNamespaces(["upgrade"]) { names in
            let ns = names[0]
            try Self.prepareNode(ns)
            var state = F.goldenState()
            let web = state.allPorts.first { $0.key.service.name == "web" && $0.key.family == .ipv4 }!
            try UMLGuest.sh(ns, """
                ip link add switchyard-ipvs type dummy
                ip addr add \(web.clusterIP)/32 dev switchyard-ipvs && ip addr add 10.96.0.250/32 dev switchyard-ipvs
                """)
            let applier = IPVSApplier(netns: ns, iptables: UMLGuest.iptables)
            _ = try await applier.applyFull(state)
            var onLink = try UMLGuest.sh(ns, "ip -o addr show dev switchyard-ipvs")
            var routed = try UMLGuest.sh(ns, "ip -4 route show table local dev switchyard-ipvs proto 83")
            #expect(!onLink.contains(" \(web.clusterIP)/"), "the old address is gone")
            #expect(routed.contains("local \(web.clusterIP) "), "planned: now a route")
            #expect(!onLink.contains(" 10.96.0.250/") && !routed.contains("10.96.0.250"), "unplanned: released")
            #expect(routed.contains("local 10.96.0.10 "), "new ones are routes")

            state.services[web.key.service] = nil
            _ = try await applier.applyFull(state)
            onLink = try UMLGuest.sh(ns, "ip -o addr show dev switchyard-ipvs")
            routed = try UMLGuest.sh(ns, "ip -4 route show table local dev switchyard-ipvs proto 83")
            #expect(!routed.contains("local \(web.clusterIP) "), "unplanned: the route goes")
            #expect(routed.contains("local 10.96.0.10 "), "the other routes stay")
            try await applier.cleanup()
        }
    }

    @Test func gracefulTerminationWaitsForALiveConnection() async throws {
        try await UMLGuest.withNamespaces(["node", "pod", "client"]) { names in
            let (node, pod, client) = (names[0], names[1], names[2])
            try UMLGuest.sh(node, """
                ip link add vpod type veth peer name eth0 netns \(pod)
                ip link add vcli type veth peer name eth0 netns \(client)
                ip addr add 10.244.1.1/24 dev vpod && ip link set vpod up
                ip addr add 192.0.2.10/24 dev vcli && ip link set vcli up
                echo 1 > /proc/sys/net/ipv4/ip_forward
                """)
            try UMLGuest.sh(pod, "ip addr add 10.244.1.2/24 dev eth0 && ip link set eth0 up && ip route add default via 10.244.1.1")
            try UMLGuest.sh(client, "ip addr add 192.0.2.5/24 dev eth0 && ip link set eth0 up && ip route add 10.96.0.0/12 via 192.0.2.10")
            let key = F.key("default", "held")
            let one = F.port(key, clusterIP: "10.96.0.100", port: 80, endpoints: [F.ep("10.244.1.2", 8080)])
            let applier = IPVSApplier(netns: node, iptables: UMLGuest.iptables)
            _ = try await applier.applyFull(F.state([one], config: F.config(families: [.ipv4])))

            let listener = try NamespaceThread.run(netns: pod) { try TCPSocket.listen(port: 8080) }
            defer { close(listener) }
            let conn = try NamespaceThread.run(netns: client) { try TCPSocket.connect(F.ip("10.96.0.100"), 80) }
            let accepted = accept(listener, nil, nil)
            #expect(accepted >= 0)
            let vip = IPVSNetlink.IPVSServiceKey.address(protocol: .tcp, address: F.ip("10.96.0.100"), port: 80)
            let c = try Self.client(node)
            #expect(try c.destinations(of: vip).first?.activeConnections == 1)

            let two = F.port(key, clusterIP: "10.96.0.100", port: 80, endpoints: [F.ep("10.244.1.3", 8080)])
            let state2 = F.state([two], config: F.config(families: [.ipv4]))
            _ = try await applier.applyIncremental(StateDiff(changed: [PortChange(old: one, new: two)]), state: state2)
            func old() throws -> IPVSDestinationEntry? { try c.destinations(of: vip).first { $0.destination.address == F.ip("10.244.1.2") } }
            #expect(try old()?.destination.weight == 0)
            #expect(try await applier.reapDrained() == 0)
            #expect(try old() != nil, "kept while the connection lives")

            close(conn); close(accepted)
            var deleted = 0
            for _ in 0..<50 where deleted == 0 {
                usleep(100_000)
                deleted = try await applier.reapDrained()
            }
            #expect(deleted == 1)
            #expect(try old() == nil)
            #expect(await applier.draining.isEmpty)
        }
    }
}

/// Minimal blocking IPv4 TCP sockets for the drain test.
enum TCPSocket {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func address(_ ip: IPAddress?, _ port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = (ip.map { UInt32(truncatingIfNeeded: $0.low) } ?? 0).bigEndian
        return a
    }

    static func listen(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = address(nil, port)
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, Glibc.listen(fd, 16) == 0 else { close(fd); throw Failure(description: "listen: errno \(errno)") }
        return fd
    }

    static func connect(_ ip: IPAddress, _ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var a = address(ip, port)
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw Failure(description: "connect \(ip):\(port): errno \(errno)") }
        return fd
    }
}
