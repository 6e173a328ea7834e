import Testing
import SwitchyardCore
@testable import IPVSNetlink

@Suite struct RouteNetlinkTests {
    @Test func newDummyLinkRequestNamesTheKind() throws {
        let request = RouteNetlinkClient.newDummyLinkRequest(name: "switchyard-ipvs")
        #expect(request.type == RouteNetlink.newLink)
        #expect(request.flags == Netlink.flagCreate | Netlink.flagExclusive)
        #expect(request.payload.prefix(RouteNetlink.ifinfomsgLength).allSatisfy { $0 == 0 })
        let attributes = try NetlinkAttributes(request.payload[RouteNetlink.ifinfomsgLength...])
        #expect(attributes.string(RouteNetlink.linkAttributeName) == "switchyard-ipvs")
        let info = try #require(try attributes.nested(RouteNetlink.linkAttributeInfo))
        #expect(info.string(RouteNetlink.linkInfoKind) == "dummy")
    }

    @Test(arguments: ["10.96.0.1", "fd00:10:96::1"])
    func addressPayloadRoundTrips(_ text: String) throws {
        let address = try #require(IPAddress(text))
        let prefix = address.family == .ipv4 ? 32 : 128
        let payload = InterfaceAddress.requestPayload(address, prefixLength: prefix, interfaceIndex: 7)
        #expect(payload[0] == (address.family == .ipv4 ? 2 : 10))
        #expect(payload[2] == (address.family == .ipv6 ? RouteNetlink.addressFlagNoDAD : 0))
        let decoded = try InterfaceAddress.decode(payload[...])
        #expect(decoded == InterfaceAddress(address: address, prefixLength: prefix, interfaceIndex: 7))
    }

    /// `ip route add local 10.96.0.1/32 dev if7 table local proto 83`, byte for byte (rtmsg + RTA_TABLE + RTA_DST + RTA_OIF).
    @Test func localRoutePayloadGoldenBytes() throws {
        let payload = LocalRoute.requestPayload(try #require(IPAddress("10.96.0.1")), interfaceIndex: 7, routeProtocol: 83)
        #expect(payload == [2, 32, 0, 0, 255, 83, 254, 2, 0, 0, 0, 0,
                            8, 0, 15, 0, 255, 0, 0, 0,
                            8, 0, 1, 0, 10, 96, 0, 1,
                            8, 0, 4, 0, 7, 0, 0, 0])
    }

    @Test(arguments: ["10.96.0.1", "fd00:10:96::1"])
    func localRoutePayloadRoundTrips(_ text: String) throws {
        let address = try #require(IPAddress(text))
        let payload = LocalRoute.requestPayload(address, interfaceIndex: 9, routeProtocol: 83)
        #expect(try LocalRoute.decode(payload[...]) == LocalRoute(address: address, interfaceIndex: 9, routeProtocol: 83))
    }

    @Test func localRouteDecodeSkipsOtherRoutes() throws {
        let base = LocalRoute.requestPayload(try #require(IPAddress("10.96.0.1")), interfaceIndex: 9, routeProtocol: 83)
        var unicast = base; unicast[7] = 1 // RTN_UNICAST
        var subnet = base; subnet[1] = 24
        var main = base; main[4] = 254; main[16] = 254 // RT_TABLE_MAIN in rtmsg and RTA_TABLE
        for p in [unicast, subnet, main] { #expect(try LocalRoute.decode(p[...]) == nil) }
        #expect(throws: NetlinkError.self) { try LocalRoute.decode(base[..<8]) }
    }

    @Test func batchedLocalRoutesCarryCreateExclusive() throws {
        let fake = FakeNetlinkTransport()
        let client = RouteNetlinkClient(connection: NetlinkConnection(transport: fake))
        let addresses = ["10.96.0.1", "10.96.0.2"].compactMap { IPAddress($0) }
        #expect(try client.addLocalRoutes(addresses, linkIndex: 4, routeProtocol: 83).isEmpty)
        #expect(try client.deleteLocalRoutes(addresses, linkIndex: 4, routeProtocol: 83).isEmpty)
        let sent = fake.sent.joined()
        #expect(sent.map(\.type) == [RouteNetlink.newRoute, RouteNetlink.newRoute, RouteNetlink.deleteRoute, RouteNetlink.deleteRoute])
        #expect(sent.prefix(2).allSatisfy { $0.flags & (Netlink.flagCreate | Netlink.flagExclusive) == Netlink.flagCreate | Netlink.flagExclusive })
    }

    @Test func batchedAddressAddReportsWhichFailed() throws {
        let fake = FakeNetlinkTransport()
        fake.failAt = [1: 17]
        let client = RouteNetlinkClient(connection: NetlinkConnection(transport: fake))
        let addresses = ["10.96.0.1", "10.96.0.2", "fd00:10:96::3"].compactMap { IPAddress($0) }
        let failures = try client.addAddresses(addresses, toLinkIndex: 4)
        #expect(failures.map(\.index) == [1])
        #expect(fake.sent.joined().map(\.type) == Array(repeating: RouteNetlink.newAddress, count: 3))
    }
}

@Suite struct InterfaceNameTests {
    @Test(arguments: ["switchyard-ipvs", "kube-ipvs0", "a"])
    func acceptsKernelNames(_ name: String) throws { try RouteNetlinkClient.validate(interfaceName: name) }

    @Test(arguments: ["", "switchyard-ipvs0", "a/b", "a:b", "a b", ".", ".."])
    func rejectsNamesTheKernelWouldRefuse(_ name: String) {
        #expect(throws: NetlinkError.invalidInterfaceName(name)) { try RouteNetlinkClient.validate(interfaceName: name) }
    }
}
