import SwitchyardCore

/// What `IPSET_CMD_CREATE` needs besides the revision: name, type, family and sizing.
public struct IPSetSpec: Hashable, Sendable, CustomStringConvertible {
    /// At most 31 bytes (IPSET_MAXNAMELEN - 1).
    public var name: String
    /// `hash:ip`, `hash:ip,port`, `hash:ip,port,ip`, `hash:ip,port,net` or `bitmap:port`.
    public var typeName: String
    public var family: IPFamily
    /// Initial hash size (hash types; rounded up to a power of two by the kernel). A size close to
    /// the member count spares the kernel the rehashes of growing from a small table.
    public var hashSize: UInt32
    public var maxElements: UInt32
    /// The port range of a `bitmap:port` set.
    public var portRange: ClosedRange<UInt16>?

    public init(name: String, typeName: String, family: IPFamily, hashSize: UInt32 = 1024, maxElements: UInt32 = 65536,
                portRange: ClosedRange<UInt16>? = nil) {
        self.name = name; self.typeName = typeName; self.family = family
        self.hashSize = hashSize; self.maxElements = maxElements; self.portRange = portRange
    }

    public var isBitmap: Bool { typeName.hasPrefix("bitmap:") }

    /// IPSET_ATTR_FAMILY: bitmap:port is family-less (NFPROTO_UNSPEC), as the ipset tool creates it.
    public var familyNumber: UInt8 {
        isBitmap ? IPSetNetlink.familyUnspecified : (family == .ipv4 ? IPSetNetlink.familyIPv4 : IPSetNetlink.familyIPv6)
    }

    public var description: String { "\(name) \(typeName) \(family)" }
}

/// One ipset change. `add` and `delete` carry many members: the client packs them into
/// IPSET_ATTR_ADT messages. Every command is sent without NLM_F_EXCL, so (like `ipset -exist`)
/// creating an identical existing set, adding a present member, deleting an absent one or
/// destroying a missing set succeeds.
public enum IPSetCommand: Hashable, Sendable, CustomStringConvertible {
    case create(IPSetSpec)
    case destroy(String)
    case flush(String)
    /// Exchanges the contents of two sets of the same type (names and references stay).
    case swap(String, String)
    case add(String, [IPSetElement])
    case delete(String, [IPSetElement])

    public var description: String {
        switch self {
        case let .create(s): return "create \(s)"
        case let .destroy(n): return "destroy \(n)"
        case let .flush(n): return "flush \(n)"
        case let .swap(a, b): return "swap \(a) \(b)"
        case let .add(n, e): return e.count == 1 ? "add \(n) \(e[0])" : "add \(e.count) members to \(n)"
        case let .delete(n, e): return e.count == 1 ? "del \(n) \(e[0])" : "del \(e.count) members from \(n)"
        }
    }

    /// The set this command names first.
    public var setName: String {
        switch self {
        case let .create(s): return s.name
        case let .destroy(n), let .flush(n), let .swap(n, _), let .add(n, _), let .delete(n, _): return n
        }
    }

    /// The request for a create with the given type revision.
    static func createRequest(_ s: IPSetSpec, revision: UInt8) -> NetlinkRequest {
        let c = IPSetNetlink.self
        return request(c.commandCreate) { w in
            w.append(c.attributeSetName, string: s.name)
            w.append(c.attributeTypeName, string: s.typeName)
            w.append(c.attributeRevision, u8: revision)
            w.append(c.attributeFamily, u8: s.familyNumber)
            w.nested(c.attributeData | Netlink.attributeNested) { d in
                if let range = s.portRange {
                    d.append(c.dataPort | Netlink.attributeNetByteOrder, be16: range.lowerBound)
                    d.append(c.dataPortTo | Netlink.attributeNetByteOrder, be16: range.upperBound)
                }
                if !s.isBitmap {
                    d.append(c.dataHashSize | Netlink.attributeNetByteOrder, u32: s.hashSize.bigEndian)
                    d.append(c.dataMaxElements | Netlink.attributeNetByteOrder, u32: s.maxElements.bigEndian)
                }
            }
        }
    }

    /// The request for a command that is not a create.
    static func nameRequest(_ command: UInt8, _ name: String, _ second: String? = nil) -> NetlinkRequest {
        request(command) { w in
            w.append(IPSetNetlink.attributeSetName, string: name)
            if let second { w.append(IPSetNetlink.attributeSetName2, string: second) }
        }
    }

    /// An add or delete of `elements` in one message: one IPSET_ATTR_DATA for a single element,
    /// else IPSET_ATTR_ADT holding one IPSET_ATTR_DATA per element (with IPSET_ATTR_LINENO, which
    /// the kernel requires in that form).
    static func elementRequest(_ command: UInt8, _ name: String, _ elements: ArraySlice<IPSetElement>) -> NetlinkRequest {
        let c = IPSetNetlink.self
        return request(command) { w in
            w.append(c.attributeSetName, string: name)
            if elements.count == 1 {
                w.nested(c.attributeData | Netlink.attributeNested) { elements.first!.encode(into: &$0) }
            } else {
                w.nested(c.attributeADT | Netlink.attributeNested) { adt in
                    for e in elements { adt.nested(c.attributeData | Netlink.attributeNested) { e.encode(into: &$0) } }
                }
                w.append(c.attributeLineNumber, u32: 0)
            }
        }
    }

    /// `nfgenmsg` (AF_INET, NFNETLINK_V0, res_id 0), IPSET_ATTR_PROTOCOL, then `body`.
    static func request(_ command: UInt8, flags: UInt16 = 0, _ body: (inout NetlinkAttributeWriter) -> Void) -> NetlinkRequest {
        var w = NetlinkAttributeWriter(prefix: [UInt8(AddressFamilyNumber.inet), 0, 0, 0])
        w.append(IPSetNetlink.attributeProtocol, u8: IPSetNetlink.protocolVersion)
        body(&w)
        return NetlinkRequest(type: IPSetNetlink.messageType(command), flags: flags, payload: w.bytes)
    }
}

/// An ipset command (or one member of it) that the kernel rejected.
public struct IPSetCommandFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Index of the command in the list passed to `IPSetClient.execute`.
    public var index: Int
    public var command: IPSetCommand
    /// For add/delete: the member refused.
    public var element: IPSetElement?
    public var errno: Int32
    public var message: String?

    public init(index: Int, command: IPSetCommand, element: IPSetElement? = nil, errno: Int32, message: String? = nil) {
        self.index = index; self.command = command; self.element = element; self.errno = errno; self.message = message
    }

    public var description: String {
        let what: String
        switch (command, element) {
        case let (.add(n, _), e?): what = "add \(n) \(e)"
        case let (.delete(n, _), e?): what = "del \(n) \(e)"
        default: what = command.description
        }
        let reason = IPSetNetlink.describe(errno) ?? NetlinkError.describe(errno)
        return "\(what): \(reason) (errno \(errno))" + (message.map { ": \($0)" } ?? "")
    }
}
