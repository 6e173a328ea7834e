import Testing
import SwitchyardCore
@testable import IPVSNetlink

@Suite struct NetlinkConnectionTests {
    /// `count` requests of `payloadSize` bytes each (framed: 16 + payloadSize).
    func requests(_ count: Int, payloadSize: Int = 84) -> [NetlinkRequest] {
        (0..<count).map { NetlinkRequest(type: 0x1c, payload: [UInt8](repeating: UInt8($0 & 0xff), count: payloadSize)) }
    }

    @Test(arguments: [NetlinkAckPolicy.lastInBuffer, .everyMessage])
    func batchesSplitAtTheBufferLimit(_ policy: NetlinkAckPolicy) throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, options: .init(bufferLimit: 1000, ackPolicy: policy))
        let failures = try connection.execute(requests(25)) // 100 bytes each: 10 per buffer
        #expect(failures.isEmpty)
        #expect(fake.sent.map(\.count) == [10, 10, 5])
        #expect(fake.sentSizes.allSatisfy { $0 <= 1000 })
        let sequences = fake.sent.flatMap { $0.map(\.sequence) }
        #expect(Set(sequences).count == 25)
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 &+ 1 })
        // The payloads arrive in order.
        #expect(fake.sent.flatMap { $0.map { $0.payload.first! } } == (0..<25).map { UInt8($0) })
    }

    @Test func batchesSplitAtTheMessageLimitAndTheTransportsMaximum() throws {
        let fake = FakeNetlinkTransport()
        let byCount = NetlinkConnection(transport: fake, options: .init(bufferLimit: 1 << 20, messageLimit: 7))
        _ = try byCount.execute(requests(20))
        #expect(fake.sent.map(\.count) == [7, 7, 6])
        let small = FakeNetlinkTransport()
        small.maximumDatagramSize = 450
        let bySocket = NetlinkConnection(transport: small, options: .init(bufferLimit: 1 << 20))
        _ = try bySocket.execute(requests(10))
        #expect(small.sent.map(\.count) == [4, 4, 2])
    }

    @Test func ackOnlyOnTheLastMessageOfEachBuffer() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, options: .init(bufferLimit: 1000, ackPolicy: .lastInBuffer))
        _ = try connection.execute(requests(25))
        for buffer in fake.sent {
            let acked = buffer.map { $0.flags & Netlink.flagAck != 0 }
            #expect(acked == Array(repeating: false, count: buffer.count - 1) + [true])
            #expect(buffer.allSatisfy { $0.flags & Netlink.flagRequest != 0 })
        }
    }

    @Test func ackOnEveryMessage() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, options: .init(bufferLimit: 1000, ackPolicy: .everyMessage))
        _ = try connection.execute(requests(12))
        #expect(fake.sent.joined().allSatisfy { $0.flags & Netlink.flagAck != 0 })
    }

    @Test(arguments: [NetlinkAckPolicy.lastInBuffer, .everyMessage])
    func failuresComeBackPerMessageWithErrno(_ policy: NetlinkAckPolicy) throws {
        let fake = FakeNetlinkTransport()
        fake.failAt = [0: 17, 9: 2, 13: 22, 24: 3] // first, last of buffer 1, middle of 2, very last
        let connection = NetlinkConnection(transport: fake, options: .init(bufferLimit: 1000, ackPolicy: policy))
        let failures = try connection.execute(requests(25))
        #expect(failures.map(\.index) == [0, 9, 13, 24])
        #expect(failures.map(\.errno) == [17, 2, 22, 3])
        #expect(failures[2].message == "failed 13")
    }

    @Test func oversizedRequestGoesAloneAndLimitIsNeverExceededOtherwise() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, options: .init(bufferLimit: 300))
        let mixed = requests(2, payloadSize: 84) + requests(1, payloadSize: 500) + requests(4, payloadSize: 84)
        _ = try connection.execute(mixed)
        #expect(fake.sent.map(\.count) == [2, 1, 3, 1])
        #expect(fake.sentSizes == [200, 516, 300, 100])
    }

    @Test func emptyBatchSendsNothing() throws {
        let fake = FakeNetlinkTransport()
        #expect(try NetlinkConnection(transport: fake).execute([]).isEmpty)
        #expect(fake.sent.isEmpty)
    }

    @Test func sequenceNumbersContinueAcrossCalls() throws {
        let fake = FakeNetlinkTransport()
        let connection = NetlinkConnection(transport: fake, firstSequence: UInt32.max - 1)
        _ = try connection.execute(requests(3))
        _ = try connection.execute(requests(1))
        #expect(fake.sent.flatMap { $0.map(\.sequence) } == [UInt32.max - 1, UInt32.max, 0, 1])
    }

    @Test func requestThrowsTheKernelErrno() {
        let fake = FakeNetlinkTransport()
        fake.failAt = [0: 1]
        let connection = NetlinkConnection(transport: fake)
        #expect(throws: NetlinkError.kernel(errno: 1, message: "failed 0")) {
            try connection.request(NetlinkRequest(type: 0x1c, payload: [0, 0, 0, 0]))
        }
    }

    @Test func transportTimeoutPropagates() {
        final class Silent: NetlinkTransport {
            func send(_ datagram: [UInt8]) throws {}
            func receive() throws -> [UInt8] { throw NetlinkError.timeout }
        }
        #expect(throws: NetlinkError.timeout) { try NetlinkConnection(transport: Silent()).execute(requests(2)) }
    }
}

@Suite struct IPVSClientFakeTests {
    static let family = GenericNetlinkFamily(name: "IPVS", id: 0x1c, version: 1)
    static let key = IPVSServiceKey.address(protocol: .tcp, address: IPAddress("10.96.0.10")!, port: 53)

    @Test func resolvesTheFamilyIdFromTheController() throws {
        let fake = FakeNetlinkTransport()
        fake.replies = { m in
            guard m.type == GenericNetlink.controllerFamily else { return [] }
            return [KernelMessages.generic(type: GenericNetlink.controllerFamily, sequence: m.sequence, command: 1) {
                $0.append(GenericNetlink.attributeFamilyName, string: "IPVS")
                $0.append(GenericNetlink.attributeFamilyID, u16: 0x2a)
                $0.append(GenericNetlink.attributeVersion, u32: 1)
            }]
        }
        let client = try IPVSClient(connection: NetlinkConnection(transport: fake))
        #expect(client.family.id == 0x2a)
    }

    @Test func missingFamilyIsReportedAsSuch() {
        let fake = FakeNetlinkTransport()
        fake.failAt = [0: 2]
        #expect(throws: NetlinkError.familyNotFound("IPVS")) { try IPVSClient(connection: NetlinkConnection(transport: fake)) }
    }

    @Test func failuresNameTheCommand() throws {
        let fake = FakeNetlinkTransport()
        fake.failAt = [1: 17]
        let client = IPVSClient(connection: NetlinkConnection(transport: fake), family: Self.family)
        let d = IPVSDestination(address: IPAddress("10.244.0.2")!, port: 53)
        let commands: [IPVSCommand] = [.newService(IPVSService(key: Self.key)), .newDestination(Self.key, d), .flush]
        let failures = try client.execute(commands)
        #expect(failures == [IPVSCommandFailure(index: 1, command: commands[1], errno: 17, message: "failed 1")])
        try client.executeOrThrow([.flush])                   // message 3 succeeds
        fake.failAt[4] = 22
        let error = try #require(throws: IPVSBatchError.self) { try client.executeOrThrow([.flush]) }
        #expect(error.failures.map(\.errno) == [22])
    }

    @Test func dumpDecodesServicesAndDestinations() throws {
        let fake = FakeNetlinkTransport()
        let service = IPVSService(key: Self.key, scheduler: "wrr")
        let dest = IPVSDestinationEntry(destination: IPVSDestination(address: IPAddress("10.244.0.2")!, port: 53, weight: 2),
                                        activeConnections: 3)
        fake.replies = { m in
            guard let (command, _) = try? m.genericAttributes() else { return [] }
            switch command {
            case IPVSNetlinkConstants.commandGetService:
                return (0..<2).map { _ in KernelMessages.generic(type: 0x1c, sequence: m.sequence, command: 1, flags: Netlink.flagMulti) {
                    $0.nested(IPVSNetlinkConstants.attributeService) { service.encode(into: &$0) }
                } }
            case IPVSNetlinkConstants.commandGetDestination:
                return [KernelMessages.generic(type: 0x1c, sequence: m.sequence, command: 5, flags: Netlink.flagMulti) {
                    $0.nested(IPVSNetlinkConstants.attributeDestination) { dest.encode(into: &$0) }
                }]
            default: return []
            }
        }
        let client = IPVSClient(connection: NetlinkConnection(transport: fake), family: Self.family)
        #expect(try client.services().map(\.service) == [service, service])
        #expect(try client.destinations(of: Self.key) == [dest])
        #expect(fake.sent.joined().allSatisfy { $0.flags & Netlink.flagDump == Netlink.flagDump })
    }
}
