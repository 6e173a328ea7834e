import Testing
import SwitchyardCore
@testable import IPVSNetlink

/// The streaming batch (`execute(count:type:build:)`, messages written straight into the datagram)
/// against the request-array path it replaces for IPVS commands.
@Suite struct StreamingBatchTests {
    static let key = IPVSServiceKey.address(protocol: .tcp, address: IPAddress("10.96.0.1")!, port: 80)
    static let commands: [IPVSCommand] = {
        let d = IPVSDestination(address: IPAddress("10.244.0.2")!, port: 8080, weight: 3)
        var out: [IPVSCommand] = [.newService(IPVSService(key: key, scheduler: "wrr", flags: .persistent, timeout: 60)),
                                  .setService(IPVSService(key: key)), .newDestination(key, d), .setDestination(key, d),
                                  .deleteDestination(key, d), .deleteService(key), .setConfig(IPVSConfig(tcpTimeout: 900, tcpFinTimeout: 120, udpTimeout: 300)), .flush]
        for i in 0..<40 { out.append(.newDestination(key, IPVSDestination(address: IPAddress(v4: 0x0AF4_0000 | UInt32(i)), port: 80))) }
        return out
    }()

    @Test func encodedMessagesMatchTheRequestBuilder() {
        for c in Self.commands { #expect(c.request(family: 0x1c) == c.legacyRequest(family: 0x1c), "\(c)") }
    }

    @Test(arguments: [NetlinkAckPolicy.lastInBuffer, .everyMessage])
    func streamedBatchesEqualRequestBatches(_ policy: NetlinkAckPolicy) throws {
        let options = NetlinkBatchOptions(bufferLimit: 700, messageLimit: 6, ackPolicy: policy)
        let a = FakeNetlinkTransport(), b = FakeNetlinkTransport()
        a.failAt = [3: 17, 20: 22]; b.failAt = a.failAt
        let requests = Self.commands.map { $0.request(family: 0x1c) }
        let viaRequests = try NetlinkConnection(transport: a, options: options).execute(requests)
        let streamed = try NetlinkConnection(transport: b, options: options).execute(count: Self.commands.count, type: 0x1c) { i, w in
            Self.commands[i].encodeMessage(into: &w)
        }
        #expect(streamed == viaRequests)
        #expect(streamed.map(\.index) == [3, 20])
        #expect(b.sentSizes == a.sentSizes)
        #expect(b.sent.map { $0.map(\.flags) } == a.sent.map { $0.map(\.flags) })
        #expect(b.sent.flatMap { $0.map(\.sequence) } == a.sent.flatMap { $0.map(\.sequence) })
        #expect(b.sent.flatMap { $0.map { Array($0.payload) } } == a.sent.flatMap { $0.map { Array($0.payload) } })
    }
}

extension IPVSCommand {
    /// The request builder `encodeMessage` replaced (nested closures per command), as the oracle.
    func legacyRequest(family: UInt16) -> NetlinkRequest {
        let c = IPVSNetlinkConstants.self
        switch self {
        case let .newService(s): return Self.serviceRequest(family, c.commandNewService) { s.encode(into: &$0) }
        case let .setService(s): return Self.serviceRequest(family, c.commandSetService) { s.encode(into: &$0) }
        case let .deleteService(k): return Self.serviceRequest(family, c.commandDeleteService) { k.encode(into: &$0) }
        case let .newDestination(k, d): return Self.destinationRequest(family, c.commandNewDestination, k) { d.encode(into: &$0) }
        case let .setDestination(k, d): return Self.destinationRequest(family, c.commandSetDestination, k) { d.encode(into: &$0) }
        case let .deleteDestination(k, d): return Self.destinationRequest(family, c.commandDeleteDestination, k) { d.encodeKey(into: &$0) }
        case let .setConfig(config):
            return .generic(family: family, command: c.commandSetConfig, version: c.version) { config.encode(into: &$0) }
        case .flush:
            return .generic(family: family, command: c.commandFlush, version: c.version)
        }
    }

    static func destinationRequest(_ family: UInt16, _ command: UInt8, _ key: IPVSServiceKey,
                                   _ body: (inout NetlinkAttributeWriter) -> Void) -> NetlinkRequest {
        .generic(family: family, command: command, version: IPVSNetlinkConstants.version) {
            $0.nested(IPVSNetlinkConstants.attributeService) { key.encode(into: &$0) }
            $0.nested(IPVSNetlinkConstants.attributeDestination, body)
        }
    }
}
