import SwitchyardCore

/// A host route of type `local` in the `local` table (`ip route add local 10.96.0.1/32 dev D table
/// local proto P`): the kernel then delivers packets for the address to this host — where IPVS
/// picks them up in LOCAL_IN — as it does for an address assigned to an interface, but inserting
/// one is a trie insert instead of a walk over every address of the interface.
public struct LocalRoute: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var interfaceIndex: Int32
    /// `rtm_protocol`: who installed the route (the IPVS backend uses its own number to find its routes).
    public var routeProtocol: UInt8

    public init(address: IPAddress, interfaceIndex: Int32, routeProtocol: UInt8) {
        self.address = address; self.interfaceIndex = interfaceIndex; self.routeProtocol = routeProtocol
    }

    public var description: String { "local \(address) dev if\(interfaceIndex) proto \(routeProtocol)" }

    /// `struct rtmsg` (host prefix, table local, scope host, type local) + RTA_TABLE + RTA_DST + RTA_OIF.
    /// A delete carries the same identity (destination, table, type, protocol, interface).
    static func requestPayload(_ address: IPAddress, interfaceIndex: Int32, routeProtocol: UInt8) -> [UInt8] {
        let v4 = address.family == .ipv4
        var header: [UInt8] = [UInt8(v4 ? AddressFamilyNumber.inet : AddressFamilyNumber.inet6), v4 ? 32 : 128, 0, 0,
                               RouteNetlink.tableLocal, routeProtocol, RouteNetlink.scopeHost, RouteNetlink.routeTypeLocal]
        NetlinkBytes.append(UInt32(0), to: &header)
        var w = NetlinkAttributeWriter(prefix: header)
        w.append(RouteNetlink.routeAttributeTable, u32: UInt32(RouteNetlink.tableLocal))
        w.append(RouteNetlink.routeAttributeDestination, bytes: address.bytes)
        w.append(RouteNetlink.routeAttributeOutputInterface, u32: UInt32(bitPattern: interfaceIndex))
        return w.bytes
    }

    /// Decodes an RTM_NEWROUTE message body; nil unless it is a host route of type local in the
    /// local table with an output interface.
    static func decode(_ payload: ArraySlice<UInt8>) throws -> LocalRoute? {
        guard payload.count >= RouteNetlink.rtmsgLength else { throw NetlinkError.malformed("short rtmsg") }
        let s = payload.startIndex
        let family = UInt16(payload[s])
        guard family == AddressFamilyNumber.inet || family == AddressFamilyNumber.inet6,
              payload[s + 1] == (family == AddressFamilyNumber.inet ? 32 : 128),
              payload[s + 7] == RouteNetlink.routeTypeLocal else { return nil }
        let attributes = try NetlinkAttributes(payload[(s + RouteNetlink.rtmsgLength)...])
        let table = attributes.u32(RouteNetlink.routeAttributeTable) ?? UInt32(payload[s + 4])
        guard table == UInt32(RouteNetlink.tableLocal),
              let raw = attributes[RouteNetlink.routeAttributeDestination], let address = IPAddress(bytes: Array(raw)),
              let oif = attributes.u32(RouteNetlink.routeAttributeOutputInterface) else { return nil }
        return LocalRoute(address: address, interfaceIndex: Int32(bitPattern: oif), routeProtocol: payload[s + 5])
    }
}
