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
