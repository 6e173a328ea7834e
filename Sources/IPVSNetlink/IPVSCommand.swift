/// One IPVS change, as the batched sender programs it.
public enum IPVSCommand: Hashable, Sendable, CustomStringConvertible {
    case newService(IPVSService)
    case setService(IPVSService)
    case deleteService(IPVSServiceKey)
    case newDestination(IPVSServiceKey, IPVSDestination)
    case setDestination(IPVSServiceKey, IPVSDestination)
    /// Identified by address and port; the other fields of the destination are ignored.
    case deleteDestination(IPVSServiceKey, IPVSDestination)
    case setConfig(IPVSConfig)
    /// Removes every service and destination.
    case flush

    /// The generic-netlink request for this command in family `family`.
    public func request(family: UInt16) -> NetlinkRequest {
        var w = NetlinkAttributeWriter()
        encodeMessage(into: &w)
        return NetlinkRequest(type: family, payload: w.bytes)
    }

    /// `genlmsghdr` and the attributes of this command (the payload after `nlmsghdr`).
    public func encodeMessage(into w: inout NetlinkAttributeWriter) {
        let c = IPVSNetlinkConstants.self
        func header(_ command: UInt8) { w.appendRaw([command, c.version, 0, 0]) }
        switch self {
        case let .newService(s): header(c.commandNewService); w.nested(c.attributeService) { s.encode(into: &$0) }
        case let .setService(s): header(c.commandSetService); w.nested(c.attributeService) { s.encode(into: &$0) }
        case let .deleteService(k): header(c.commandDeleteService); w.nested(c.attributeService) { k.encode(into: &$0) }
        case let .newDestination(k, d):
            header(c.commandNewDestination)
            w.nested(c.attributeService) { k.encode(into: &$0) }
            w.nested(c.attributeDestination) { d.encode(into: &$0) }
        case let .setDestination(k, d):
            header(c.commandSetDestination)
            w.nested(c.attributeService) { k.encode(into: &$0) }
            w.nested(c.attributeDestination) { d.encode(into: &$0) }
        case let .deleteDestination(k, d):
            header(c.commandDeleteDestination)
            w.nested(c.attributeService) { k.encode(into: &$0) }
            w.nested(c.attributeDestination) { d.encodeKey(into: &$0) }
        case let .setConfig(config): header(c.commandSetConfig); config.encode(into: &w)
        case .flush: header(c.commandFlush)
        }
    }

    public var description: String {
        switch self {
        case let .newService(s): return "new service \(s.key) \(s.scheduler)"
        case let .setService(s): return "set service \(s.key) \(s.scheduler)"
        case let .deleteService(k): return "delete service \(k)"
        case let .newDestination(k, d): return "new destination \(d.address):\(d.port) weight \(d.weight) of \(k)"
        case let .setDestination(k, d): return "set destination \(d.address):\(d.port) weight \(d.weight) of \(k)"
        case let .deleteDestination(k, d): return "delete destination \(d.address):\(d.port) of \(k)"
        case .setConfig: return "set config"
        case .flush: return "flush"
        }
    }

    static func serviceRequest(_ family: UInt16, _ command: UInt8, flags: UInt16 = 0,
                               _ body: (inout NetlinkAttributeWriter) -> Void) -> NetlinkRequest {
        .generic(family: family, command: command, version: IPVSNetlinkConstants.version, flags: flags) {
            $0.nested(IPVSNetlinkConstants.attributeService, body)
        }
    }
}

/// A command of a batch that the kernel rejected.
public struct IPVSCommandFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Index in the batch passed to `IPVSClient.execute`.
    public var index: Int
    public var command: IPVSCommand
    /// The kernel's errno (e.g. EEXIST 17, ENOENT 2, ESRCH 3 for a missing service, EINVAL 22).
    public var errno: Int32
    public var message: String?

    public init(index: Int, command: IPVSCommand, errno: Int32, message: String? = nil) {
        self.index = index; self.command = command; self.errno = errno; self.message = message
    }

    public var description: String {
        "\(command): \(NetlinkError.describe(errno)) (errno \(errno))" + (message.map { ": \($0)" } ?? "")
    }
}

/// Thrown by `IPVSClient.executeOrThrow` when any command failed.
public struct IPVSBatchError: Error, Sendable, CustomStringConvertible {
    public var failures: [IPVSCommandFailure]
    public init(failures: [IPVSCommandFailure]) { self.failures = failures }
    public var description: String {
        "\(failures.count) IPVS command(s) failed; first: \(failures.first.map(String.init(describing:)) ?? "-")"
    }
}
