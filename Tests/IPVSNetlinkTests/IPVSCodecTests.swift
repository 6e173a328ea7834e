import Testing
import SwitchyardCore
@testable import IPVSNetlink

@Suite struct IPVSCodecTests {
    static let v4 = IPAddress("10.96.0.1")!
    static let v6 = IPAddress("fd00:10:96::a")!

    static let services: [IPVSService] = [
        IPVSService(key: .address(protocol: .tcp, address: v4, port: 80)),
        IPVSService(key: .address(protocol: .udp, address: v6, port: 53), scheduler: "wrr"),
        IPVSService(key: .address(protocol: .sctp, address: v4, port: 9), scheduler: "sh",
                    flags: [.schedulerFlag1, .schedulerFlag2]),
        IPVSService(key: .address(protocol: .tcp, address: v4, port: 443), scheduler: "rr",
                    flags: .persistent, timeout: 10800, netmaskPrefixLength: 24),
        IPVSService(key: .address(protocol: .tcp, address: v6, port: 443), flags: .persistent,
                    timeout: 60, netmaskPrefixLength: 64),
        IPVSService(key: .firewallMark(0x4000, family: .ipv4), scheduler: "mh"),
    ]

    @Test(arguments: services) func serviceRoundTrips(_ service: IPVSService) throws {
        var w = NetlinkAttributeWriter()
        service.encode(into: &w)
        #expect(try IPVSService.decode(NetlinkAttributes(w.bytes[...])) == service)
    }

    @Test func hashedFlagFromTheKernelIsDropped() throws {
        var w = NetlinkAttributeWriter()
        IPVSService(key: .address(protocol: .tcp, address: Self.v4, port: 1), flags: [.persistent]).encode(into: &w)
        var raw = w.bytes
        // Find IPVS_SVC_ATTR_FLAGS (len 12, type 7) and set the hashed bit as the kernel reports it.
        let at = try #require((0..<raw.count - 4).first { raw[$0] == 12 && raw[$0 + 2] == 7 })
        raw[at + 4] |= UInt8(IPVSNetlinkConstants.serviceFlagHashed)
        #expect(try IPVSService.decode(NetlinkAttributes(raw[...])).flags == [.persistent])
    }

    static let destinations: [IPVSDestination] = [
        IPVSDestination(address: IPAddress("10.244.1.5")!, port: 8080),
        IPVSDestination(address: IPAddress("fd00:10:244::5")!, port: 53, weight: 0),
        IPVSDestination(address: IPAddress("10.244.2.9")!, port: 1, forwardingMethod: .directRoute, weight: 100,
                        upperThreshold: 1000, lowerThreshold: 10),
        IPVSDestination(address: IPAddress("10.244.2.9")!, port: 65535, forwardingMethod: .tunnel, weight: 7),
    ]

    @Test(arguments: destinations) func destinationRoundTrips(_ d: IPVSDestination) throws {
        var w = NetlinkAttributeWriter()
        d.encode(into: &w)
        // The service family must not matter: the destination carries its own.
        #expect(try IPVSDestination.decode(NetlinkAttributes(w.bytes[...]), serviceFamily: .ipv6) == d)
    }

    @Test func destinationEntryRoundTripsWithCountsAndStats() throws {
        var stats = IPVSStats()
        stats.connections = 5; stats.inPackets = 1 << 40; stats.outBytes = 77; stats.inByteRate = 3
        let entry = IPVSDestinationEntry(destination: Self.destinations[2], activeConnections: 4,
                                         inactiveConnections: 9, persistentConnections: 1, stats: stats)
        var w = NetlinkAttributeWriter()
        entry.encode(into: &w)
        #expect(try IPVSDestinationEntry.decode(NetlinkAttributes(w.bytes[...])) == entry)
    }

    @Test func thirtyTwoBitStatsAreReadWhenNoSixtyFourBitNest() throws {
        var w = NetlinkAttributeWriter()
        Self.destinations[0].encode(into: &w)
        w.nested(IPVSNetlinkConstants.destinationStats) {
            $0.append(IPVSNetlinkConstants.statsConnections, u32: 12)
            $0.append(IPVSNetlinkConstants.statsInBytes, u64: 1 << 33)
        }
        let entry = try IPVSDestinationEntry.decode(NetlinkAttributes(w.bytes[...]))
        #expect(entry.stats.connections == 12)
        #expect(entry.stats.inBytes == 1 << 33)
    }

    @Test func configRoundTrips() throws {
        let config = IPVSConfig(tcpTimeout: 900, tcpFinTimeout: 120, udpTimeout: 300)
        var w = NetlinkAttributeWriter()
        config.encode(into: &w)
        #expect(IPVSConfig.decode(try NetlinkAttributes(w.bytes[...])) == config)
    }

    @Test func ipv4NetmaskIsABigEndianMaskAndIPv6APrefixLength() {
        // 255.255.255.0 in network order is bytes ff ff ff 00 (the kernel reads it with nla_get_be32).
        let v4 = IPVSService.netmaskValue(prefix: 24, family: .ipv4)
        #expect(withUnsafeBytes(of: v4) { Array($0) } == [0xff, 0xff, 0xff, 0])
        #expect(IPVSService.prefix(netmaskValue: v4, family: .ipv4) == 24)
        #expect(IPVSService.netmaskValue(prefix: 128, family: .ipv6) == 128)
        #expect(IPVSService.prefix(netmaskValue: IPVSService.netmaskValue(prefix: 0, family: .ipv4), family: .ipv4) == 0)
    }

    @Test func unknownAddressFamilyIsMalformed() throws {
        var w = NetlinkAttributeWriter()
        w.append(IPVSNetlinkConstants.serviceAddressFamily, u16: 99)
        #expect(throws: NetlinkError.self) { try IPVSService.decode(NetlinkAttributes(w.bytes[...])) }
    }
}
