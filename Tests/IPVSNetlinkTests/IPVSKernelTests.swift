import Testing
import Glibc
import SwitchyardCore
@testable import IPVSNetlink

/// Programs the real IPVS tables of the UML guest's kernel (see scripts/test-ipvs), in the guest's
/// initial network namespace: serialized, and each test starts from a flush. (In a brand-new namespace
/// the kernel refused every IPv4 destination with EINVAL, so these do not use one.)
@Suite(.serialized, .enabled(if: UMLKernel.hasIPVS, "needs the UML guest (scripts/test-ipvs)"))
struct IPVSKernelTests {
    let client: IPVSClient

    init() throws {
        client = try IPVSClient()
        try client.flush()
    }

    static let tcp = IPVSServiceKey.address(protocol: .tcp, address: IPAddress("10.96.0.1")!, port: 443)
    static let udp6 = IPVSServiceKey.address(protocol: .udp, address: IPAddress("fd00:10:96::a")!, port: 53)
    static let mark = IPVSServiceKey.firewallMark(0x4000, family: .ipv4)

    static let services = [
        IPVSService(key: tcp, scheduler: "rr"),
        IPVSService(key: udp6, scheduler: "wrr"),
        IPVSService(key: mark, scheduler: "sh", flags: [.persistent, .schedulerFlag1, .schedulerFlag2],
                    timeout: 10800, netmaskPrefixLength: 24),
    ]

    static func destinations(_ key: IPVSServiceKey, count: Int = 3) -> [IPVSDestination] {
        (1...count).map { i in
            key.family == .ipv4
                ? IPVSDestination(address: IPAddress(v4: 0x0AF4_0100 | UInt32(i)), port: 8443, weight: Int32(i))
                : IPVSDestination(address: IPAddress(v6High: 0xfd00_0010_0244_0000, low: UInt64(i)), port: 5353, weight: 1)
        }
    }

    func programAll() throws {
        var commands = Self.services.map(IPVSCommand.newService)
        for s in Self.services { commands += Self.destinations(s.key).map { .newDestination(s.key, $0) } }
        try client.executeOrThrow(commands)
    }

    @Test func programDumpAndCompare() throws {
        try programAll()
        let dumped = try client.services()
        #expect(Set(dumped.map(\.service)) == Set(Self.services))
        for s in Self.services {
            let ds = try client.destinations(of: s.key)
            #expect(Set(ds.map(\.destination)) == Set(Self.destinations(s.key)))
            #expect(ds.allSatisfy { $0.activeConnections == 0 && $0.inactiveConnections == 0 })
        }
        #expect(try client.service(Self.tcp)?.service == Self.services[0])
        #expect(try client.service(.address(protocol: .tcp, address: IPAddress("10.96.9.9")!, port: 1)) == nil)
    }

    @Test func updateWeightAndScheduler() throws {
        try programAll()
        var d = Self.destinations(Self.tcp)[0]
        d.weight = 50
        var s = Self.services[0]
        s.scheduler = "wlc"
        try client.executeOrThrow([.setDestination(Self.tcp, d), .setService(s)])
        #expect(try client.destinations(of: Self.tcp).first { $0.destination.address == d.address }?.destination.weight == 50)
        #expect(try client.service(Self.tcp)?.service.scheduler == "wlc")
    }

    @Test func deleteDestinationAndService() throws {
        try programAll()
        let victim = Self.destinations(Self.udp6)[1]
        try client.deleteDestination(victim, in: Self.udp6)
        #expect(try client.destinations(of: Self.udp6).map(\.destination).contains(victim) == false)
        try client.deleteService(Self.mark)
        #expect(try client.service(Self.mark) == nil)
        #expect(try client.services().count == 2)
    }

    @Test func errorsComeBackPerCommandAndTheRestIsApplied() throws {
        let other = IPVSService(key: .address(protocol: .tcp, address: IPAddress("10.96.0.2")!, port: 80))
        let missing = IPVSServiceKey.address(protocol: .tcp, address: IPAddress("10.96.0.3")!, port: 80)
        for policy in [NetlinkAckPolicy.lastInBuffer, .everyMessage] {
            try client.flush()
            client.connection.options.ackPolicy = policy
            let commands: [IPVSCommand] = [
                .newService(Self.services[0]),
                .newService(Self.services[0]),                      // duplicate
                .newService(other),
                .deleteService(missing),                            // no such service
                .newService(IPVSService(key: Self.udp6, scheduler: "no-such-scheduler")),
                .newDestination(Self.tcp, Self.destinations(Self.tcp)[0]),
            ]
            let failures = try client.execute(commands)
            #expect(failures.map(\.index) == [1, 3, 4], "\(policy)")
            #expect(failures.first?.errno == EEXIST)
            #expect(failures.allSatisfy { $0.errno > 0 })
            #expect(Set(try client.services().map(\.service)) == [Self.services[0], other])
            #expect(try client.destinations(of: Self.tcp).count == 1)
        }
    }

    @Test func flushRemovesEverything() throws {
        try programAll()
        try client.flush()
        #expect(try client.services().isEmpty)
    }

    @Test func configGetAndSet() throws {
        let original = try client.config()
        #expect(original.tcpTimeout > 0)
        let wanted = IPVSConfig(tcpTimeout: 901, tcpFinTimeout: 121, udpTimeout: 301)
        try client.setConfig(wanted)
        #expect(try client.config() == wanted)
        try client.setConfig(original)
        #expect(try client.config() == original)
    }

    @Test func batchOfServicesWithTenDestinationsEach() throws {
        let count = UMLKernel.integer("SWITCHYARD_IPVS_BENCH_SERVICES", default: 1000)
        let perService = 10
        let plan = Self.scalePlan(services: count, destinations: perService)
        // One ACK policy per guest boot (SWITCHYARD_IPVS_BENCH_ACK=every|last): destinations removed by a
        // flush linger in the kernel's trash list and slow down adds that follow, so a second round in the
        // same boot would not be comparable.
        let every = UMLKernel.string("SWITCHYARD_IPVS_BENCH_ACK") == "every"
        // SWITCHYARD_IPVS_BENCH_BUFFER=61440 compares a smaller datagram with the default (1 MiB, cut to the socket's).
        client.connection.options.bufferLimit = UMLKernel.integer("SWITCHYARD_IPVS_BENCH_BUFFER", default: client.connection.options.bufferLimit)
        for policy in [every ? NetlinkAckPolicy.everyMessage : .lastInBuffer] {
            client.connection.options.ackPolicy = policy
            let clock = ContinuousClock()
            let started = clock.now
            let requests = plan.map { $0.request(family: client.family.id) }
            let encoded = clock.now - started
            let failures = try client.connection.execute(requests)
            let programmed = clock.now - started
            #expect(failures.isEmpty)
            print("IPVS-BENCH encode \(plan.count) messages (\(requests.reduce(0) { $0 + $1.framedLength }) bytes): \(encoded)")
            let dumpStart = clock.now
            let dumped = try client.services()
            let dumpTime = clock.now - dumpStart
            #expect(dumped.count == count)
            let destStart = clock.now
            let sample = try client.destinations(of: dumped[0].service.key)
            let destTime = clock.now - destStart
            #expect(sample.count == perService)
            print("IPVS-BENCH services=\(count) destinations=\(count * perService) ack=\(policy) buffer=\(client.connection.options.bufferLimit) "
                  + "program=\(programmed) dumpServices=\(dumpTime) dumpOneServiceDests=\(destTime)")
        }
        // Weight update of every destination as a difference (set), then a flush.
        client.connection.options.ackPolicy = .lastInBuffer
        let updates: [IPVSCommand] = plan.compactMap {
            guard case let .newDestination(k, d) = $0 else { return nil }
            var d2 = d; d2.weight = 2
            return .setDestination(k, d2)
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        try client.executeOrThrow(updates)
        let updateTime = clock.now - t0
        let t1 = clock.now
        try client.flush()
        print("IPVS-BENCH setDestination×\(updates.count)=\(updateTime) flush=\(clock.now - t1)")
    }

    static func scalePlan(services: Int, destinations: Int) -> [IPVSCommand] {
        var commands: [IPVSCommand] = []
        commands.reserveCapacity(services * (destinations + 1))
        for i in 0..<services {
            let key = IPVSServiceKey.address(protocol: .tcp, address: IPAddress(v4: 0x0A60_0000 | UInt32(i)), port: 80)
            commands.append(.newService(IPVSService(key: key, scheduler: "rr")))
            for j in 0..<destinations {
                let d = IPVSDestination(address: IPAddress(v4: 0x0AF4_0000 | UInt32(i * destinations + j)), port: 8080)
                commands.append(.newDestination(key, d))
            }
        }
        return commands
    }
}

/// The dummy interface the IPVS backend binds service addresses to, in the UML guest.
@Suite(.serialized, .enabled(if: UMLKernel.isGuest, "needs the UML guest (scripts/test-ipvs)"))
struct DummyInterfaceKernelTests {
    @Test func createAddListDeleteAddresses() throws {
        let route = try UMLKernel.inFreshNetworkNamespace { try RouteNetlinkClient() }
        let name = RouteNetlinkClient.defaultDummyName
        if try route.linkIndex(named: name) != nil { try route.deleteLink(named: name) }
        try route.createDummyLink(named: name)
        #expect(throws: NetlinkError.invalidInterfaceName("switchyard-ipvs0")) { try route.createDummyLink(named: "switchyard-ipvs0") }
        let duplicate = try #require(throws: NetlinkError.self) { try route.createDummyLink(named: name) }
        if case let .kernel(errno, _) = duplicate { #expect(errno == EEXIST) } else { Issue.record("\(duplicate)") }
        let index = try #require(try route.linkIndex(named: name))
        #expect(try route.ensureDummyLink(named: name) == index)

        let addresses = ["10.96.0.1", "10.96.0.10", "fd00:10:96::1"].compactMap { IPAddress($0) }
        #expect(try route.addAddresses(addresses, toLinkIndex: index).isEmpty)
        let again = try route.addAddresses([addresses[0]], toLinkIndex: index)
        #expect(again.map(\.errno) == [EEXIST])
        let listed = try route.addresses(ofLinkIndex: index)
        #expect(Set(listed.map(\.address)).isSuperset(of: addresses))
        #expect(listed.filter { addresses.contains($0.address) }.allSatisfy { $0.prefixLength == ($0.address.family == .ipv4 ? 32 : 128) })

        #expect(try route.deleteAddresses([addresses[1], addresses[2]], fromLinkIndex: index).isEmpty)
        let after = Set(try route.addresses(ofLinkIndex: index).map(\.address))
        #expect(after.contains(addresses[0]) && !after.contains(addresses[1]) && !after.contains(addresses[2]))
        #expect(try route.deleteAddresses([addresses[1]], fromLinkIndex: index).count == 1)

        try route.deleteLink(named: name)
        #expect(try route.linkIndex(named: name) == nil)
    }

    @Test func addListDeleteLocalRoutesThroughADownLink() throws {
        let route = try UMLKernel.inFreshNetworkNamespace { try RouteNetlinkClient() }
        let name = "sy-ipvs-routes"
        if try route.linkIndex(named: name) != nil { try route.deleteLink(named: name) }
        let index = try route.ensureDummyLink(named: name)
        let addresses = ["10.96.0.1", "10.96.0.10", "203.0.113.7"].compactMap { IPAddress($0) }
        #expect(try route.addLocalRoutes(addresses, linkIndex: index, routeProtocol: 83).isEmpty)
        #expect(try route.addLocalRoutes([addresses[0]], linkIndex: index, routeProtocol: 83).map(\.errno) == [EEXIST])
        let listed = try route.localRoutes(linkIndex: index, routeProtocol: 83)
        #expect(Set(listed.map(\.address)) == Set(addresses))
        #expect(listed.allSatisfy { $0.interfaceIndex == index && $0.routeProtocol == 83 })
        #expect(try route.localRoutes(linkIndex: index, routeProtocol: 84).isEmpty, "another protocol's routes are not ours")
        #expect(try route.addresses(ofLinkIndex: index).isEmpty, "routes, not addresses")

        #expect(try route.deleteLocalRoutes([addresses[1]], linkIndex: index, routeProtocol: 83).isEmpty)
        #expect(try route.deleteLocalRoutes([addresses[1]], linkIndex: index, routeProtocol: 83).map(\.errno) == [ESRCH])
        #expect(Set(try route.localRoutes(linkIndex: index, routeProtocol: 83).map(\.address)) == [addresses[0], addresses[2]])
        try route.deleteLink(named: name)
        let other = try #require(try route.linkIndex(named: "lo"))
        #expect(try route.localRoutes(linkIndex: other, routeProtocol: 83).isEmpty, "deleting the link removed its routes")
    }

    @Test func manyAddressesInOneBatch() throws {
        let route = try UMLKernel.inFreshNetworkNamespace { try RouteNetlinkClient() }
        let name = "sy-ipvs-many"
        if try route.linkIndex(named: name) != nil { try route.deleteLink(named: name) }
        let index = try route.ensureDummyLink(named: name)
        defer { try? route.deleteLink(named: name) }
        let addresses = (0..<2000).map { IPAddress(v4: 0x0A60_1000 + UInt32($0)) }
        let clock = ContinuousClock()
        let t0 = clock.now
        #expect(try route.addAddresses(addresses, toLinkIndex: index).isEmpty)
        let added = clock.now - t0
        #expect(try route.addresses(ofLinkIndex: index).count == addresses.count)
        print("DUMMY-BENCH add \(addresses.count) addresses: \(added)")
        let routes = addresses.map { IPAddress(v4: $0.v4Value + 0x0001_0000) }
        let t1 = clock.now
        #expect(try route.addLocalRoutes(routes, linkIndex: index, routeProtocol: 83).isEmpty)
        let routed = clock.now - t1
        #expect(try route.localRoutes(linkIndex: index, routeProtocol: 83).count == routes.count)
        print("DUMMY-BENCH add \(routes.count) local routes: \(routed)")
    }
}
