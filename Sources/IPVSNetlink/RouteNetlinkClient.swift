import SwitchyardCore

/// The few rtnetlink operations the IPVS backend needs for its dummy interface (`switchyard-ipvs`):
/// create/delete a dummy link, add/delete/list its addresses and the local routes through it. Raw
/// NETLINK_ROUTE, batched like IPVS.
/// Not thread-safe: one owner at a time.
public final class RouteNetlinkClient {
    /// The interface name the IPVS backend binds service addresses to. ("switchyard-ipvs0" would be 16
    /// bytes: Linux names are at most 15, and the kernel answers ERANGE.)
    public static let defaultDummyName = "switchyard-ipvs"

    /// Throws `NetlinkError.invalidInterfaceName` unless `name` is a name the kernel accepts.
    public static func validate(interfaceName name: String) throws {
        let bytes = Array(name.utf8)
        let forbidden: Set<UInt8> = [0, 0x2f, 0x3a, 0x20, 0x09, 0x0a, 0x0d]
        guard !bytes.isEmpty, bytes.count <= 15, name != ".", name != "..", !bytes.contains(where: forbidden.contains) else {
            throw NetlinkError.invalidInterfaceName(name)
        }
    }

    public let connection: NetlinkConnection

    /// Opens a NETLINK_ROUTE socket in the caller's network namespace.
    public convenience init(options: NetlinkBatchOptions = .init()) throws {
        self.init(connection: NetlinkConnection(transport: try NetlinkSocket(protocol: Netlink.protocolRoute), options: options))
    }

    public init(connection: NetlinkConnection) { self.connection = connection }

    /// Creates a dummy link named `name` (left down, as kube-proxy leaves kube-ipvs0).
    /// Throws `NetlinkError.kernel(errno: EEXIST)` when it exists.
    public func createDummyLink(named name: String) throws {
        try Self.validate(interfaceName: name)
        _ = try connection.request(Self.newDummyLinkRequest(name: name))
    }

    /// Creates the dummy link unless a link with that name already exists.
    public func ensureDummyLink(named name: String) throws -> Int32 {
        if let index = try linkIndex(named: name) { return index }
        try createDummyLink(named: name)
        guard let index = try linkIndex(named: name) else { throw NetlinkError.kernel(errno: 19, message: "link vanished") }
        return index
    }

    /// Deletes the link `name`. Throws `NetlinkError.kernel(errno: ENODEV)` when there is none.
    public func deleteLink(named name: String) throws {
        try Self.validate(interfaceName: name)
        _ = try connection.request(NetlinkRequest(type: RouteNetlink.deleteLink, payload: Self.linkPayload(name: name)))
    }

    /// The interface index of `name`, or nil when no such link exists.
    public func linkIndex(named name: String) throws -> Int32? {
        try Self.validate(interfaceName: name)
        let replies: [NetlinkMessage]
        do {
            replies = try connection.request(NetlinkRequest(type: RouteNetlink.getLink, payload: Self.linkPayload(name: name)))
        } catch NetlinkError.kernel(errno: 19, _) { // ENODEV
            return nil
        }
        guard let reply = replies.first(where: { $0.type == RouteNetlink.newLink }),
              reply.payload.count >= RouteNetlink.ifinfomsgLength else { return nil }
        return Int32(bitPattern: NetlinkBytes.u32(reply.payload, at: reply.payload.startIndex + 4))
    }

    /// Adds host addresses (/32, /128 unless `prefixLength` says otherwise) to link `index`, batched.
    /// Returns the rejected ones (EEXIST when already present).
    public func addAddresses(_ addresses: [IPAddress], toLinkIndex index: Int32, prefixLength: Int? = nil) throws -> [NetlinkOperationFailure] {
        try connection.execute(addresses.map {
            NetlinkRequest(type: RouteNetlink.newAddress, flags: Netlink.flagCreate | Netlink.flagExclusive,
                           payload: InterfaceAddress.requestPayload($0, prefixLength: prefixLength ?? Self.hostPrefix($0), interfaceIndex: index))
        })
    }

    /// Deletes addresses from link `index`, batched. Returns the rejected ones (EADDRNOTAVAIL when absent).
    public func deleteAddresses(_ addresses: [IPAddress], fromLinkIndex index: Int32, prefixLength: Int? = nil) throws -> [NetlinkOperationFailure] {
        try connection.execute(addresses.map {
            NetlinkRequest(type: RouteNetlink.deleteAddress,
                           payload: InterfaceAddress.requestPayload($0, prefixLength: prefixLength ?? Self.hostPrefix($0), interfaceIndex: index))
        })
    }

    /// Every IPv4/IPv6 address on link `index`.
    public func addresses(ofLinkIndex index: Int32) throws -> [InterfaceAddress] {
        var header: [UInt8] = [UInt8(AddressFamilyNumber.unspecified), 0, 0, 0]
        NetlinkBytes.append(UInt32(bitPattern: index), to: &header)
        let replies = try connection.dump(NetlinkRequest(type: RouteNetlink.getAddress, payload: header))
        return try replies.filter { $0.type == RouteNetlink.newAddress }
            .compactMap { try InterfaceAddress.decode($0.payload) }
            .filter { $0.interfaceIndex == index }
    }

    /// Every IPv4/IPv6 address on every link (one dump).
    public func allAddresses() throws -> [InterfaceAddress] {
        var header: [UInt8] = [UInt8(AddressFamilyNumber.unspecified), 0, 0, 0]
        NetlinkBytes.append(UInt32(0), to: &header)
        let replies = try connection.dump(NetlinkRequest(type: RouteNetlink.getAddress, payload: header))
        return try replies.filter { $0.type == RouteNetlink.newAddress }.compactMap { try InterfaceAddress.decode($0.payload) }
    }

    /// Adds a host route of type local in the local table for each address, through link `index`,
    /// tagged with `routeProtocol`, batched. Returns the rejected ones (EEXIST when present).
    public func addLocalRoutes(_ addresses: [IPAddress], linkIndex index: Int32, routeProtocol: UInt8) throws -> [NetlinkOperationFailure] {
        try connection.execute(addresses.map {
            NetlinkRequest(type: RouteNetlink.newRoute, flags: Netlink.flagCreate | Netlink.flagExclusive,
                           payload: LocalRoute.requestPayload($0, interfaceIndex: index, routeProtocol: routeProtocol))
        })
    }

    /// Deletes such routes, batched. Returns the rejected ones (ESRCH when absent).
    public func deleteLocalRoutes(_ addresses: [IPAddress], linkIndex index: Int32, routeProtocol: UInt8) throws -> [NetlinkOperationFailure] {
        try connection.execute(addresses.map {
            NetlinkRequest(type: RouteNetlink.deleteRoute,
                           payload: LocalRoute.requestPayload($0, interfaceIndex: index, routeProtocol: routeProtocol))
        })
    }

    /// The local-table host routes of type local through link `index` with protocol `routeProtocol`
    /// (one dump per family in `families`).
    public func localRoutes(linkIndex index: Int32, routeProtocol: UInt8, families: [IPFamily] = IPFamily.allCases) throws -> [LocalRoute] {
        var out: [LocalRoute] = []
        for f in families {
            var header = [UInt8](repeating: 0, count: RouteNetlink.rtmsgLength)
            header[0] = UInt8(f == .ipv4 ? AddressFamilyNumber.inet : AddressFamilyNumber.inet6)
            header[4] = RouteNetlink.tableLocal
            try connection.dump(NetlinkRequest(type: RouteNetlink.getRoute, payload: header), restart: { out.removeAll { $0.address.family == f } }) { m in
                guard m.type == RouteNetlink.newRoute, let r = try LocalRoute.decode(m.payload),
                      r.interfaceIndex == index, r.routeProtocol == routeProtocol else { return }
                out.append(r)
            }
        }
        return out
    }

    static func hostPrefix(_ a: IPAddress) -> Int { a.family == .ipv4 ? 32 : 128 }

    /// `struct ifinfomsg` (all zero: any family, index 0 = look up by name) + IFLA_IFNAME.
    static func linkPayload(name: String) -> [UInt8] {
        var w = NetlinkAttributeWriter(prefix: [UInt8](repeating: 0, count: RouteNetlink.ifinfomsgLength))
        w.append(RouteNetlink.linkAttributeName, string: name)
        return w.bytes
    }

    /// RTM_NEWLINK with IFLA_IFNAME and IFLA_LINKINFO { IFLA_INFO_KIND "dummy" }.
    static func newDummyLinkRequest(name: String) -> NetlinkRequest {
        var w = NetlinkAttributeWriter(prefix: [UInt8](repeating: 0, count: RouteNetlink.ifinfomsgLength))
        w.append(RouteNetlink.linkAttributeName, string: name)
        w.nested(RouteNetlink.linkAttributeInfo) { $0.append(RouteNetlink.linkInfoKind, string: "dummy") }
        return NetlinkRequest(type: RouteNetlink.newLink, flags: Netlink.flagCreate | Netlink.flagExclusive, payload: w.bytes)
    }
}
