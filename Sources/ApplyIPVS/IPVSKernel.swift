import IPVSNetlink
import RenderIPVS
import SwitchyardCore

/// What the IPVS applier needs from the kernel: IPVS virtual servers and real servers (generic
/// netlink), ipsets (nfnetlink) and the dummy interface with its addresses (rtnetlink). `NetlinkIPVSKernel` is the real
/// one; tests use a fake. Used by one owner at a time (the applier actor).
public protocol IPVSKernel: AnyObject {
    /// Every virtual service (one dump).
    func services() throws -> [IPVSNetlink.IPVSService]
    /// The real servers of one virtual service, with their connection counts (one dump).
    func destinations(of key: IPVSNetlink.IPVSServiceKey) throws -> [IPVSDestinationEntry]
    /// Every service's real servers at once (weights and connection counts), or nil when the
    /// kernel offers no such bulk view (the caller then dumps per service).
    func allDestinations() throws -> [IPVSNetlink.IPVSServiceKey: [IPVSDestinationEntry]]?
    /// Sends the commands batched; returns the rejected ones.
    func execute(_ commands: [IPVSCommand]) throws -> [IPVSCommandFailure]
    /// The same for a list whose commands are built as they are sent.
    func execute(_ list: IPVSCommandList) throws -> [IPVSCommandFailure]
    /// The sets named in `names` that exist, with their members (one dump).
    func ipsets(named names: Set<String>) throws -> [String: IPSetListing]
    /// The names of every set.
    func ipsetNames() throws -> [String]
    /// Sends ipset commands batched; returns the rejected ones.
    func executeIPSet(_ commands: [IPSetCommand]) throws -> [IPSetCommandFailure]
    /// The index of the link `name`, or nil.
    func linkIndex(named name: String) throws -> Int32?
    /// Creates the dummy link unless it exists; returns its index.
    func ensureDummyLink(named name: String) throws -> Int32
    func deleteLink(named name: String) throws
    /// The service addresses held on link `index`: its addresses and the local routes of ours
    /// through it (`IPVSPlan.routeProtocol`).
    func addresses(ofLinkIndex index: Int32) throws -> [IPAddress]
    /// Every address of every link except `index` (the node's own addresses).
    func localAddresses(excludingLinkIndex index: Int32?) throws -> [IPAddress]
    /// Holds service addresses on link `index` (IPv4: local routes, IPv6: addresses); returns the
    /// rejected ones (EEXIST when held already).
    func addAddresses(_ addresses: [IPAddress], toLinkIndex index: Int32) throws -> [NetlinkOperationFailure]
    /// Releases service addresses (route or address, whichever holds it); returns the rejected ones
    /// (EADDRNOTAVAIL when neither does).
    func deleteAddresses(_ addresses: [IPAddress], fromLinkIndex index: Int32) throws -> [NetlinkOperationFailure]
    /// Removes every IPv4 address from link `index` (how an older version held service addresses)
    /// and returns them. Deleting a link's last IPv4 address makes the kernel drop every IPv4 route
    /// through it, ours included, so a full sync does this before it lists and adds routes.
    func removeIPv4Addresses(ofLinkIndex index: Int32) throws -> [IPAddress]
}

extension IPVSKernel {
    /// Fakes hold no addresses of an older version.
    public func removeIPv4Addresses(ofLinkIndex index: Int32) throws -> [IPAddress] { [] }
}

extension IPVSKernel {
    /// Materialises the list (fakes).
    public func execute(_ list: IPVSCommandList) throws -> [IPVSCommandFailure] { try execute(list.commands) }
}

/// The real kernel: an `IPVSClient`, an `IPSetClient` and a `RouteNetlinkClient` whose sockets were
/// opened inside the target network namespace (so every later call acts there, whatever the calling
/// thread's namespace).
public final class NetlinkIPVSKernel: IPVSKernel {
    /// nil when the kernel has no IPVS (module not loaded): reads see no services, changes throw.
    public let ipvs: IPVSClient?
    public let route: RouteNetlinkClient
    public let ipset: IPSetClient
    public let netns: String?

    /// Opens both sockets in `netns` (a name under /run/netns) or, when nil, in the caller's namespace.
    public init(netns: String?) throws {
        let clients: (IPVSClient?, RouteNetlinkClient, IPSetClient) = try NamespaceThread.run(netns: netns) {
            let ipvs: IPVSClient?
            do { ipvs = try IPVSClient() } catch NetlinkError.familyNotFound { ipvs = nil }
            return (ipvs, try RouteNetlinkClient(), try IPSetClient())
        }
        ipvs = clients.0
        route = clients.1
        ipset = clients.2
        self.netns = netns
    }

    /// `/proc/net/ip_vs` of the namespace, read on a thread inside it.
    public func allDestinations() throws -> [IPVSNetlink.IPVSServiceKey: [IPVSDestinationEntry]]? {
        guard ipvs != nil else { return [:] }
        return try NamespaceThread.run(netns: netns) { IPVSProcTable.read() }.flatMap(IPVSProcTable.parse)
    }

    private func client() throws -> IPVSClient {
        guard let ipvs else { throw NetlinkError.familyNotFound("IPVS") }
        return ipvs
    }

    public func services() throws -> [IPVSNetlink.IPVSService] { try ipvs?.services().map(\.service) ?? [] }
    public func destinations(of key: IPVSNetlink.IPVSServiceKey) throws -> [IPVSDestinationEntry] { try client().destinations(of: key) }
    public func execute(_ commands: [IPVSCommand]) throws -> [IPVSCommandFailure] {
        commands.isEmpty ? [] : try client().execute(commands)
    }
    /// Encodes each command straight into the datagram being filled (no command array).
    public func execute(_ list: IPVSCommandList) throws -> [IPVSCommandFailure] {
        list.isEmpty ? [] : try client().execute(count: list.count) { list[$0] }
    }
    public func ipsets(named names: Set<String>) throws -> [String: IPSetListing] {
        var out: [String: IPSetListing] = [:]
        for set in try ipset.list(where: names.contains) { out[set.name] = set }
        return out
    }
    public func ipsetNames() throws -> [String] { try ipset.names() }
    public func executeIPSet(_ commands: [IPSetCommand]) throws -> [IPSetCommandFailure] {
        commands.isEmpty ? [] : try ipset.execute(commands)
    }
    public func linkIndex(named name: String) throws -> Int32? { try route.linkIndex(named: name) }
    public func ensureDummyLink(named name: String) throws -> Int32 { try route.ensureDummyLink(named: name) }
    public func deleteLink(named name: String) throws { try route.deleteLink(named: name) }
    /// Addresses on the link (IPv6, and IPv4 ones an older version added) plus our IPv4 local routes through it.
    public func addresses(ofLinkIndex index: Int32) throws -> [IPAddress] {
        try route.addresses(ofLinkIndex: index).map(\.address)
            + route.localRoutes(linkIndex: index, routeProtocol: IPVSPlan.routeProtocol, families: [.ipv4]).map(\.address)
    }
    public func localAddresses(excludingLinkIndex index: Int32?) throws -> [IPAddress] {
        try route.allAddresses().filter { $0.interfaceIndex != index }.map(\.address)
    }
    /// IPv4 as local routes (one trie insert each; an address add walks every address of the
    /// link), IPv6 as addresses. Failures keep the indices of `addresses`.
    public func addAddresses(_ addresses: [IPAddress], toLinkIndex index: Int32) throws -> [NetlinkOperationFailure] {
        let (v4, v6) = Self.split(addresses)
        let routed = try route.addLocalRoutes(v4.map { addresses[$0] }, linkIndex: index, routeProtocol: IPVSPlan.routeProtocol)
        let added = try route.addAddresses(v6.map { addresses[$0] }, toLinkIndex: index)
        return Self.reindex(routed, v4) + Self.reindex(added, v6)
    }
    /// IPv4: the route, else (ESRCH) an address an older version added; IPv6: the address.
    public func deleteAddresses(_ addresses: [IPAddress], fromLinkIndex index: Int32) throws -> [NetlinkOperationFailure] {
        let (v4, v6) = Self.split(addresses)
        let unrouted = try route.deleteLocalRoutes(v4.map { addresses[$0] }, linkIndex: index, routeProtocol: IPVSPlan.routeProtocol)
        let notRoutes = unrouted.filter { $0.errno == 3 }.map { v4[$0.index] } // ESRCH: no such route
        let stillFailed = Self.reindex(unrouted.filter { $0.errno != 3 }, v4)
        let asAddresses = notRoutes + v6
        let deleted = try route.deleteAddresses(asAddresses.map { addresses[$0] }, fromLinkIndex: index)
        return stillFailed + Self.reindex(deleted, asAddresses)
    }

    public func removeIPv4Addresses(ofLinkIndex index: Int32) throws -> [IPAddress] {
        let v4 = try route.addresses(ofLinkIndex: index).map(\.address).filter { $0.family == .ipv4 }
        guard !v4.isEmpty else { return [] }
        if let f = try route.deleteAddresses(v4, fromLinkIndex: index).first(where: { $0.errno != 99 }) { // EADDRNOTAVAIL: gone
            throw NetlinkError.kernel(errno: f.errno, message: "delete \(v4[f.index]): \(f.message ?? "refused")")
        }
        return v4
    }

    /// Indices of the IPv4 and of the IPv6 addresses.
    private static func split(_ addresses: [IPAddress]) -> ([Int], [Int]) {
        var v4: [Int] = [], v6: [Int] = []
        for (i, a) in addresses.enumerated() { if a.family == .ipv4 { v4.append(i) } else { v6.append(i) } }
        return (v4, v6)
    }

    /// Failures of a sub-batch, with indices into the whole list.
    private static func reindex(_ failures: [NetlinkOperationFailure], _ indices: [Int]) -> [NetlinkOperationFailure] {
        failures.map { var f = $0; f.index = indices[$0.index]; return f }
    }
}
