import Testing
import SwitchyardCore
@testable import IPVSNetlink

/// `IPSetClient` against a real kernel's ipset, each test in a fresh network namespace of its own
/// (the socket keeps it alive; it goes when the client does). Runs as root wherever the kernel has
/// ip_set: in the UML guest and on a host like this one.
@Suite(.enabled(if: UMLKernel.hasIPSet, "needs root and a kernel with ip_set"))
struct IPSetKernelTests {
    typealias C = IPSetCodecTests

    static func spec(_ name: String, _ type: String, _ family: IPFamily = .ipv4) -> IPSetSpec {
        IPSetSpec(name: name, typeName: type, family: family, portRange: type == "bitmap:port" ? 0...65535 : nil)
    }

    /// Every type IPVS mode uses, with members that suit it.
    static let sets: [(IPSetSpec, [IPSetElement])] = [
        (spec("ip4", "hash:ip"), [IPSetElement(ip: C.v4), IPSetElement(ip: IPAddress("10.96.0.11")!)]),
        (spec("ip6", "hash:ip", .ipv6), [IPSetElement(ip: C.v6)]),
        (spec("ipport", "hash:ip,port"), [C.elements[3], IPSetElement(ip: C.v4, port: 53, proto: 6)]),
        (spec("ipport6", "hash:ip,port", .ipv6), [C.elements[4]]),
        (spec("ipportip", "hash:ip,port,ip"), [C.elements[5]]),
        (spec("ipportnet", "hash:ip,port,net"), [IPSetElement(ip: C.v4, port: 80, proto: 6, ip2: IPAddress("203.0.113.0")!, cidr2: 24),
                                                  IPSetElement(ip: C.v4, port: 80, proto: 6, ip2: IPAddress("192.0.2.7")!, cidr2: 32)]),
        (spec("ipportnet6", "hash:ip,port,net", .ipv6), [C.elements[6]]),
        (spec("ports", "bitmap:port"), [IPSetElement(port: 30080), IPSetElement(port: 32767)]),
    ]

    @Test func programListAndChangeEveryType() throws {
        try UMLKernel.inFreshNetworkNamespace {
            let client = try IPSetClient()
            var commands: [IPSetCommand] = []
            for (s, members) in Self.sets { commands += [.create(s), .add(s.name, members)] }
            #expect(try client.execute(commands) == [])
            #expect(try client.execute(commands) == [], "creating an identical set and re-adding members succeed")
            let listed = Dictionary(uniqueKeysWithValues: try client.list().map { ($0.name, $0) })
            for (s, members) in Self.sets {
                #expect(listed[s.name].map { Set($0.members) } == Set(members), "\(s.name)")
                #expect(listed[s.name]?.typeName == s.typeName && listed[s.name]?.familyNumber == s.familyNumber)
            }
            #expect(Set(try client.names()) == Set(Self.sets.map(\.0.name)))

            let ipport = Self.sets[2]
            #expect(try client.execute([.delete("ipport", [ipport.1[0], C.elements[3]]), .delete("ipport", [IPSetElement(ip: C.v4, port: 1, proto: 6)])]) == [],
                    "deleting an absent member succeeds")
            #expect(try client.list { $0 == "ipport" }.first?.members == [ipport.1[1]])
        }
    }

    @Test func refusalsNameTheSetAndMember() throws {
        try UMLKernel.inFreshNetworkNamespace {
            let client = try IPSetClient()
            #expect(try client.execute([.create(Self.spec("s", "hash:ip"))]) == [])
            let clash = try client.execute([.create(Self.spec("s", "hash:ip,port"))])
            #expect(clash.count == 1 && clash.first?.errno != 0, "a set of another type under the name is refused")
            // A v6 member in a v4 set, between good ones: the message is refused, the good members still land.
            let good = [IPSetElement(ip: IPAddress("10.0.0.1")!), IPSetElement(ip: IPAddress("10.0.0.2")!)]
            let failures = try client.execute([.add("s", [good[0], IPSetElement(ip: C.v6), good[1]])])
            #expect(failures.map(\.element) == [IPSetElement(ip: C.v6)])
            #expect(failures.first?.index == 0)
            #expect(Set(try client.list { $0 == "s" }.first?.members ?? []) == Set(good))
            #expect(try client.execute([.add("missing", good)]).first?.errno == 2, "ENOENT for a missing set")
        }
    }

    @Test func swapFlushAndDestroy() throws {
        try UMLKernel.inFreshNetworkNamespace {
            let client = try IPSetClient()
            let a = IPSetElement(ip: IPAddress("10.0.0.1")!), b = IPSetElement(ip: IPAddress("10.0.0.2")!)
            #expect(try client.execute([.create(Self.spec("x", "hash:ip")), .create(Self.spec("y", "hash:ip")),
                                        .add("x", [a]), .add("y", [b]), .swap("x", "y")]) == [])
            #expect(try client.list { $0 == "x" }.first?.members == [b])
            #expect(try client.execute([.flush("x"), .destroy("y")]) == [])
            #expect(try client.list().map(\.name) == ["x"])
            #expect(try client.list().first?.members == [])
            let again = try client.execute([.destroy("x"), .destroy("y")])
            #expect(again.allSatisfy { $0.errno == 2 }, "a missing set is gone already (some kernels say ENOENT)")
            #expect(try client.names() == [])
        }
    }

    @Test func manyMembersInFewMessages() throws {
        try UMLKernel.inFreshNetworkNamespace {
            let client = try IPSetClient()
            let members = (0..<5000).map { IPSetElement(ip: IPAddress(v4: 0x0A60_0000 | UInt32($0)), port: 80, proto: 6) }
            var spec = Self.spec("big", "hash:ip,port")
            spec.hashSize = 8192
            #expect(try client.execute([.create(spec), .add("big", members)]) == [])
            #expect(Set(try client.list().first?.members ?? []) == Set(members))
        }
    }
}
