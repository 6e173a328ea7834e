import Testing
import SwitchyardCore
@testable import IPVSNetlink

/// ipset's nfnetlink encoding without a kernel: element round trips, golden bytes of one add, the
/// client's batching, revision lookup, per-member retry of a refused message, and list decoding.
@Suite struct IPSetCodecTests {
    static let v4 = IPAddress("10.96.0.10")!, v6 = IPAddress("fd00:10:96::a")!
    static let elements: [IPSetElement] = [
        IPSetElement(ip: v4), IPSetElement(ip: v6), IPSetElement(port: 30080),
        IPSetElement(ip: v4, port: 53, proto: 17), IPSetElement(ip: v6, port: 443, proto: 132),
        IPSetElement(ip: v4, port: 80, proto: 6, ip2: IPAddress("10.244.1.5")!),
        IPSetElement(ip: v6, port: 80, proto: 6, ip2: IPAddress("2001:db8::")!, cidr2: 32),
    ]

    @Test(arguments: elements) func elementRoundTrip(_ e: IPSetElement) throws {
        var w = NetlinkAttributeWriter()
        e.encode(into: &w)
        #expect(try IPSetElement.decode(w.bytes[...]) == e)
    }

    @Test func goldenBytesOfOneAdd() {
        let r = IPSetCommand.elementRequest(IPSetNetlink.commandAdd, "S", [IPSetElement(ip: Self.v4, port: 53, proto: 17)][...])
        #expect(r.type == 0x0609)
        #expect(r.payload == [
            2, 0, 0, 0,                                   // nfgenmsg: AF_INET, v0, res_id 0
            5, 0, 1, 0, 6, 0, 0, 0,                       // IPSET_ATTR_PROTOCOL 6
            6, 0, 2, 0, 0x53, 0, 0, 0,                    // IPSET_ATTR_SETNAME "S"
            32, 0, 7, 0x80,                               // IPSET_ATTR_DATA | NLA_F_NESTED
            12, 0, 1, 0x80, 8, 0, 1, 0x40, 10, 96, 0, 10, //   IP { IPADDR_IPV4 | NET_BYTEORDER }
            6, 0, 4, 0x40, 0, 53, 0, 0,                   //   PORT | NET_BYTEORDER, big-endian 53
            5, 0, 7, 0, 17, 0, 0, 0,                      //   PROTO udp
        ])
    }

    @Test func createCarriesTheKernelsRevisionAndSizes() throws {
        let transport = FakeNetlinkTransport()
        transport.replies = { m in
            guard m.type == IPSetNetlink.messageType(IPSetNetlink.commandType) else { return [] }
            return [Self.nfnetlink(type: m.type, sequence: m.sequence) { $0.append(IPSetNetlink.attributeRevision, u8: 7) }]
        }
        let client = IPSetClient(connection: NetlinkConnection(transport: transport))
        let spec = IPSetSpec(name: "S", typeName: "hash:ip,port", family: .ipv6, hashSize: 16384, maxElements: 262_144)
        #expect(try client.execute([.create(spec), .create(spec)]).isEmpty)
        let all = transport.sent.flatMap { $0 }
        #expect(all.filter { $0.type == IPSetNetlink.messageType(IPSetNetlink.commandType) }.count == 1, "revision asked once")
        let creates = all.filter { $0.type == IPSetNetlink.messageType(IPSetNetlink.commandCreate) }
        #expect(creates.count == 2)
        let a = try NetlinkAttributes(IPSetClient.attributes(of: creates[0]))
        #expect(a.u8(IPSetNetlink.attributeRevision) == 7 && a.u8(IPSetNetlink.attributeFamily) == IPSetNetlink.familyIPv6)
        #expect(a.string(IPSetNetlink.attributeTypeName) == "hash:ip,port")
        let data = try #require(try a.nested(IPSetNetlink.attributeData))
        #expect(data.u32(IPSetNetlink.dataHashSize).map { UInt32(bigEndian: $0) } == 16384)
        #expect(data.u32(IPSetNetlink.dataMaxElements).map { UInt32(bigEndian: $0) } == 262_144)
        #expect(creates[0].flags & Netlink.flagExclusive == 0, "no NLM_F_EXCL: an identical set is accepted")
    }

    @Test func refusedMessageIsRetriedMemberByMember() throws {
        let transport = FakeNetlinkTransport()
        // Messages in arrival order: 0 destroy, 1 add of two, 2 add of one; the retries of 1: 3, 4.
        transport.failAt = [1: 4097, 4: 22]
        let client = IPSetClient(connection: NetlinkConnection(transport: transport), membersPerMessage: 2)
        let members = (1...3).map { IPSetElement(ip: IPAddress(v4: 0x0A60_0000 | UInt32($0))) }
        let failures = try client.execute([.destroy("old"), .add("S", members)])
        #expect(failures.map(\.element) == [members[1]])
        #expect(failures.first?.index == 1 && failures.first?.errno == 22)
        let adds = transport.sent.flatMap { $0 }.filter { $0.type == IPSetNetlink.messageType(IPSetNetlink.commandAdd) }
        #expect(adds.count == 4)
        let first = try NetlinkAttributes(IPSetClient.attributes(of: adds[0]))
        #expect(first[IPSetNetlink.attributeADT] != nil && first[IPSetNetlink.attributeLineNumber] != nil)
        #expect(first[IPSetNetlink.attributeData] == nil)
    }

    @Test func listDecodesMembersAcrossMessagesAndFiltersNames() throws {
        let transport = FakeNetlinkTransport()
        let list = IPSetNetlink.messageType(IPSetNetlink.commandList)
        transport.replies = { m in
            guard m.type == list else { return [] }
            func set(_ name: String, first: Bool, _ members: [IPSetElement]) -> [UInt8] {
                Self.nfnetlink(type: list, sequence: m.sequence, flags: Netlink.flagMulti) { w in
                    w.append(IPSetNetlink.attributeSetName, string: name)
                    if first {
                        w.append(IPSetNetlink.attributeTypeName, string: "hash:ip,port")
                        w.append(IPSetNetlink.attributeFamily, u8: 2)
                        w.nested(IPSetNetlink.attributeData | Netlink.attributeNested) {
                            $0.append(IPSetNetlink.dataHashSize | Netlink.attributeNetByteOrder, u32: UInt32(1024).bigEndian)
                        }
                    }
                    w.nested(IPSetNetlink.attributeADT | Netlink.attributeNested) { adt in
                        for e in members { adt.nested(IPSetNetlink.attributeData | Netlink.attributeNested) { e.encode(into: &$0) } }
                    }
                }
            }
            let e = Self.elements
            return [set("A", first: true, [e[3], e[5]]) + set("A", first: false, [e[4]]), set("B", first: true, [e[3]])]
        }
        let client = IPSetClient(connection: NetlinkConnection(transport: transport))
        let sets = try client.list { $0 == "A" }
        #expect(sets.map(\.name) == ["A"])
        #expect(sets.first?.typeName == "hash:ip,port" && sets.first?.familyNumber == 2)
        #expect(sets.first?.members == [Self.elements[3], Self.elements[5], Self.elements[4]])
    }

    static func nfnetlink(type: UInt16, sequence: UInt32, flags: UInt16 = 0, _ body: (inout NetlinkAttributeWriter) -> Void) -> [UInt8] {
        var w = NetlinkAttributeWriter(prefix: [2, 0, 0, 0])
        w.append(IPSetNetlink.attributeProtocol, u8: 6)
        body(&w)
        return KernelMessages.header(length: 16 + w.bytes.count, type: type, flags: flags, sequence: sequence) + w.bytes
    }
}
