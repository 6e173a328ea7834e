/// A resolved generic-netlink family.
public struct GenericNetlinkFamily: Sendable, Equatable {
    public var name: String
    /// The dynamic message type the kernel assigned to the family.
    public var id: UInt16
    public var version: UInt32

    public init(name: String, id: UInt16, version: UInt32) {
        self.name = name; self.id = id; self.version = version
    }

    /// The CTRL_CMD_GETFAMILY request for `name`.
    public static func lookupRequest(name: String) -> NetlinkRequest {
        .generic(family: GenericNetlink.controllerFamily, command: GenericNetlink.commandGetFamily,
                 version: GenericNetlink.controllerVersion) { $0.append(GenericNetlink.attributeFamilyName, string: name) }
    }

    /// Asks the controller for `name`'s id. Throws `NetlinkError.familyNotFound` when it is not registered.
    public static func resolve(_ name: String, on connection: NetlinkConnection) throws -> GenericNetlinkFamily {
        let replies: [NetlinkMessage]
        do {
            replies = try connection.request(lookupRequest(name: name))
        } catch NetlinkError.kernel(errno: 2, _) { // ENOENT
            throw NetlinkError.familyNotFound(name)
        }
        for reply in replies {
            let attributes = try reply.genericAttributes().attributes
            if let id = attributes.u16(GenericNetlink.attributeFamilyID) {
                return GenericNetlinkFamily(name: name, id: id, version: attributes.u32(GenericNetlink.attributeVersion) ?? 0)
            }
        }
        throw NetlinkError.familyNotFound(name)
    }
}
