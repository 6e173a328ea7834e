/// Programs and reads the kernel's IPVS tables over generic netlink.
///
/// Not thread-safe: one owner at a time. Changes go through `execute`, which packs many commands
/// into each `send()` and reports every rejected command with its errno.
public final class IPVSClient {
    public let connection: NetlinkConnection
    public let family: GenericNetlinkFamily

    /// Opens a NETLINK_GENERIC socket and resolves the "IPVS" family.
    /// Throws `NetlinkError.familyNotFound("IPVS")` when the ip_vs module is not loaded.
    public convenience init(options: NetlinkBatchOptions = .init()) throws {
        let socket = try NetlinkSocket(protocol: Netlink.protocolGeneric)
        try self.init(connection: NetlinkConnection(transport: socket, options: options))
    }

    /// Resolves the family over an existing connection (a fake transport in tests).
    public init(connection: NetlinkConnection) throws {
        self.connection = connection
        family = try GenericNetlinkFamily.resolve(IPVSNetlinkConstants.familyName, on: connection)
    }

    /// Uses a known family id without asking the controller.
    public init(connection: NetlinkConnection, family: GenericNetlinkFamily) {
        self.connection = connection; self.family = family
    }

    /// Sends `commands` in batches; returns the rejected ones (empty when all succeeded).
    public func execute(_ commands: [IPVSCommand]) throws -> [IPVSCommandFailure] {
        try connection.execute(count: commands.count, type: family.id) { i, w in commands[i].encodeMessage(into: &w) }.map {
            IPVSCommandFailure(index: $0.index, command: commands[$0.index], errno: $0.errno, message: $0.message)
        }
    }

    /// Sends `count` commands that `command(i)` gives, each encoded straight into the datagram being
    /// filled; `command` is called once per index in increasing order while sending, and again for
    /// each rejected one. Returns the rejected ones.
    public func execute(count: Int, command: (Int) -> IPVSCommand) throws -> [IPVSCommandFailure] {
        try connection.execute(count: count, type: family.id) { i, w in command(i).encodeMessage(into: &w) }.map {
            IPVSCommandFailure(index: $0.index, command: command($0.index), errno: $0.errno, message: $0.message)
        }
    }

    /// Like `execute`, but throws `IPVSBatchError` when any command failed.
    public func executeOrThrow(_ commands: [IPVSCommand]) throws {
        let failures = try execute(commands)
        if !failures.isEmpty { throw IPVSBatchError(failures: failures) }
    }

    public func newService(_ s: IPVSService) throws { try executeOrThrow([.newService(s)]) }
    public func setService(_ s: IPVSService) throws { try executeOrThrow([.setService(s)]) }
    public func deleteService(_ key: IPVSServiceKey) throws { try executeOrThrow([.deleteService(key)]) }
    public func newDestination(_ d: IPVSDestination, in key: IPVSServiceKey) throws { try executeOrThrow([.newDestination(key, d)]) }
    public func setDestination(_ d: IPVSDestination, in key: IPVSServiceKey) throws { try executeOrThrow([.setDestination(key, d)]) }
    public func deleteDestination(_ d: IPVSDestination, in key: IPVSServiceKey) throws { try executeOrThrow([.deleteDestination(key, d)]) }
    public func flush() throws { try executeOrThrow([.flush]) }
    public func setConfig(_ config: IPVSConfig) throws { try executeOrThrow([.setConfig(config)]) }

    /// One service by key; nil when the kernel has no such service.
    public func service(_ key: IPVSServiceKey) throws -> IPVSServiceEntry? {
        let request = IPVSCommand.serviceRequest(family.id, IPVSNetlinkConstants.commandGetService) { key.encode(into: &$0) }
        let replies: [NetlinkMessage]
        do {
            replies = try connection.request(request)
        } catch let NetlinkError.kernel(errno, _) where errno == 3 || errno == 2 { // ESRCH / ENOENT
            return nil
        }
        return try replies.compactMap(Self.decodeService).first
    }

    /// Every service.
    public func services() throws -> [IPVSServiceEntry] {
        let request = NetlinkRequest.generic(family: family.id, command: IPVSNetlinkConstants.commandGetService,
                                             version: IPVSNetlinkConstants.version)
        var out: [IPVSServiceEntry] = []
        try connection.dump(request, restart: { out = [] }) { m in
            if let e = try Self.decodeService(m) { out.append(e) }
        }
        return out
    }

    /// Every destination of the service `key`.
    public func destinations(of key: IPVSServiceKey) throws -> [IPVSDestinationEntry] {
        let request = IPVSCommand.serviceRequest(family.id, IPVSNetlinkConstants.commandGetDestination) { key.encode(into: &$0) }
        return try connection.dump(request).compactMap { message in
            guard let nest = try message.genericAttributes().attributes.nested(IPVSNetlinkConstants.attributeDestination) else { return nil }
            return try IPVSDestinationEntry.decode(nest, serviceFamily: key.family)
        }
    }

    /// The current timeouts.
    public func config() throws -> IPVSConfig {
        let request = NetlinkRequest.generic(family: family.id, command: IPVSNetlinkConstants.commandGetConfig,
                                             version: IPVSNetlinkConstants.version)
        guard let reply = try connection.request(request).first else {
            throw NetlinkError.malformed("no IPVS config reply")
        }
        return IPVSConfig.decode(try reply.genericAttributes().attributes)
    }

    /// One service of a dump: the IPVS_CMD_ATTR_SERVICE nest after `genlmsghdr`, walked in place.
    static func decodeService(_ message: NetlinkMessage) throws -> IPVSServiceEntry? {
        guard message.payload.count >= GenericNetlink.headerLength else {
            throw NetlinkError.malformed("generic netlink message shorter than its header")
        }
        var nest: ArraySlice<UInt8>?
        try NetlinkAttributes.forEach(in: message.payload.dropFirst(GenericNetlink.headerLength)) { type, p in
            if type == IPVSNetlinkConstants.attributeService { nest = p }
        }
        return try nest.map(IPVSServiceEntry.decode(nest:))
    }
}
