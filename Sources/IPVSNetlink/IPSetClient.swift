import SwitchyardCore

/// A set as the kernel lists it.
public struct IPSetListing: Hashable, Sendable {
    public var name: String
    public var typeName: String
    /// IPSET_ATTR_FAMILY (NFPROTO_*): 2 IPv4, 10 IPv6, 0 for family-less types.
    public var familyNumber: UInt8
    public var members: [IPSetElement]

    public init(name: String, typeName: String, familyNumber: UInt8, members: [IPSetElement] = []) {
        self.name = name; self.typeName = typeName; self.familyNumber = familyNumber; self.members = members
    }
}

/// Programs and reads ipsets over nfnetlink (NFNL_SUBSYS_IPSET), the protocol the `ipset` tool
/// speaks, without spawning it: many commands per `send()`, many members per message.
///
/// Not thread-safe: one owner at a time.
public final class IPSetClient {
    public let connection: NetlinkConnection
    /// Members per add/delete message (IPSET_ATTR_ADT); an attribute's length is 16 bits, so a
    /// message holds at most about 1,000 IPv6 members.
    public var membersPerMessage: Int
    private var revisions: [String: UInt8] = [:]

    /// Opens a NETLINK_NETFILTER socket in the caller's network namespace. Throws when ipset is not
    /// available is only found out by the first command (the ip_set module loads on demand).
    public convenience init(options: NetlinkBatchOptions = .init()) throws {
        let socket = try NetlinkSocket(protocol: IPSetNetlink.protocolNetfilter)
        self.init(connection: NetlinkConnection(transport: socket, options: options))
    }

    public init(connection: NetlinkConnection, membersPerMessage: Int = 256) {
        self.connection = connection; self.membersPerMessage = max(1, membersPerMessage)
    }

    /// Sends `commands` in order, batched; returns the rejected ones (for add/delete, one failure per
    /// refused member). A create first learns the kernel's newest revision of its type (IPSET_CMD_TYPE,
    /// once per type and family).
    public func execute(_ commands: [IPSetCommand]) throws -> [IPSetCommandFailure] {
        var failures: [IPSetCommandFailure] = []
        var requests: [NetlinkRequest] = []
        var origin: [(command: Int, members: ArraySlice<IPSetElement>?)] = []
        for (i, command) in commands.enumerated() {
            switch command {
            case let .create(spec):
                do {
                    requests.append(IPSetCommand.createRequest(spec, revision: try revision(spec)))
                    origin.append((i, nil))
                } catch let NetlinkError.kernel(errno, message) {
                    failures.append(IPSetCommandFailure(index: i, command: command, errno: errno, message: message))
                }
            case let .destroy(n):
                requests.append(IPSetCommand.nameRequest(IPSetNetlink.commandDestroy, n)); origin.append((i, nil))
            case let .flush(n):
                requests.append(IPSetCommand.nameRequest(IPSetNetlink.commandFlush, n)); origin.append((i, nil))
            case let .swap(a, b):
                requests.append(IPSetCommand.nameRequest(IPSetNetlink.commandSwap, a, b)); origin.append((i, nil))
            case let .add(n, members), let .delete(n, members):
                let code = Self.elementCommand(command)
                var start = 0
                while start < members.count {
                    let chunk = members[start..<min(members.count, start + membersPerMessage)]
                    requests.append(IPSetCommand.elementRequest(code, n, chunk))
                    origin.append((i, chunk))
                    start = chunk.endIndex
                }
            }
        }
        // A refused multi-member message stops at the bad member: its members go again one per
        // message (idempotent without NLM_F_EXCL) so that each refusal is named.
        var retries: [(command: Int, member: IPSetElement)] = []
        for f in try connection.execute(requests) {
            let o = origin[f.index]
            if let members = o.members, members.count > 1 {
                for m in members { retries.append((o.command, m)) }
            } else {
                failures.append(IPSetCommandFailure(index: o.command, command: commands[o.command], element: o.members?.first,
                                                    errno: f.errno, message: f.message))
            }
        }
        if !retries.isEmpty {
            let single = retries.map { IPSetCommand.elementRequest(Self.elementCommand(commands[$0.command]), commands[$0.command].setName, [$0.member][...]) }
            for f in try connection.execute(single) {
                let r = retries[f.index]
                failures.append(IPSetCommandFailure(index: r.command, command: commands[r.command], element: r.member,
                                                    errno: f.errno, message: f.message))
            }
        }
        return failures.sorted { $0.index < $1.index }
    }

    /// Every set whose name `include` accepts, with its members (one dump of all sets).
    public func list(where include: (String) -> Bool = { _ in true }) throws -> [IPSetListing] {
        let request = IPSetCommand.request(IPSetNetlink.commandList) { _ in }
        var sets: [String: IPSetListing] = [:]
        var order: [String] = []
        for message in try connection.dump(request) {
            try Self.decodeList(message, include: include, into: &sets, order: &order)
        }
        return order.map { sets[$0]! }
    }

    /// The names of every set (a dump without members).
    public func names() throws -> [String] {
        let request = IPSetCommand.request(IPSetNetlink.commandList) {
            $0.append(IPSetNetlink.attributeFlags | Netlink.attributeNetByteOrder, u32: IPSetNetlink.listFlagSetNameOnly.bigEndian)
        }
        var out: [String] = []
        for message in try connection.dump(request) {
            let a = try NetlinkAttributes(Self.attributes(of: message))
            if let n = a.string(IPSetNetlink.attributeSetName), out.last != n { out.append(n) }
        }
        return out
    }

    /// The newest revision of `spec`'s type that the kernel has (cached).
    public func revision(_ spec: IPSetSpec) throws -> UInt8 {
        let key = "\(spec.typeName)/\(spec.familyNumber)"
        if let r = revisions[key] { return r }
        let request = IPSetCommand.request(IPSetNetlink.commandType) {
            $0.append(IPSetNetlink.attributeTypeName, string: spec.typeName)
            $0.append(IPSetNetlink.attributeFamily, u8: spec.familyNumber)
        }
        for reply in try connection.request(request) {
            if let r = try NetlinkAttributes(Self.attributes(of: reply)).u8(IPSetNetlink.attributeRevision) {
                revisions[key] = r
                return r
            }
        }
        throw NetlinkError.malformed("no revision in the kernel's IPSET_CMD_TYPE reply for \(spec.typeName)")
    }

    static func elementCommand(_ c: IPSetCommand) -> UInt8 {
        if case .delete = c { return IPSetNetlink.commandDelete }
        return IPSetNetlink.commandAdd
    }

    /// The attributes after `nfgenmsg`.
    static func attributes(of m: NetlinkMessage) throws -> ArraySlice<UInt8> {
        guard m.payload.count >= IPSetNetlink.nfgenmsgLength else { throw NetlinkError.malformed("nfnetlink message shorter than nfgenmsg") }
        return m.payload[(m.payload.startIndex + IPSetNetlink.nfgenmsgLength)...]
    }

    /// One IPSET_CMD_LIST message: the first of a set carries its type and family, every one
    /// may carry members in IPSET_ATTR_ADT.
    static func decodeList(_ m: NetlinkMessage, include: (String) -> Bool, into sets: inout [String: IPSetListing],
                           order: inout [String]) throws {
        var name: String?, typeName: String?, family: UInt8?
        var adt: ArraySlice<UInt8>?
        try NetlinkAttributes.forEach(in: attributes(of: m)) { type, p in
            switch type {
            case IPSetNetlink.attributeSetName: name = String(decoding: p.prefix { $0 != 0 }, as: UTF8.self)
            case IPSetNetlink.attributeTypeName: typeName = String(decoding: p.prefix { $0 != 0 }, as: UTF8.self)
            case IPSetNetlink.attributeFamily where !p.isEmpty: family = p[p.startIndex]
            case IPSetNetlink.attributeADT: adt = p
            default: break
            }
        }
        guard let name, include(name) else { return }
        if sets[name] == nil {
            sets[name] = IPSetListing(name: name, typeName: typeName ?? "", familyNumber: family ?? 0)
            order.append(name)
        }
        guard let adt else { return }
        try NetlinkAttributes.forEach(in: adt) { type, p in
            if type == IPSetNetlink.attributeData { sets[name]!.members.append(try IPSetElement.decode(p)) }
        }
    }
}
