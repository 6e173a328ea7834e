import Testing
import SwitchyardCore
@testable import IPVSNetlink

/// How long the user-space half of a service dump takes (parse + decode, no kernel): N services as the
/// kernel sends them (with both stats nests), packed into 32 KB datagrams like a netlink dump. A figure
/// to print, not an assertion: `SWITCHYARD_IPVS_DECODE_BENCH=10000 swift test --filter IPVSDumpDecodeBenchmark`.
@Suite(.enabled(if: UMLKernel.integer("SWITCHYARD_IPVS_DECODE_BENCH", default: 0) > 0, "set SWITCHYARD_IPVS_DECODE_BENCH=N"))
struct IPVSDumpDecodeBenchmark {
    @Test func decodeServiceDump() throws {
        let count = UMLKernel.integer("SWITCHYARD_IPVS_DECODE_BENCH", default: 0)
        let family: UInt16 = 0x20
        let transport = FakeNetlinkTransport()
        // The datagrams of each round are built beforehand (rounds use sequence numbers 1, 2, 3).
        func datagrams(sequence: UInt32) -> [[UInt8]] {
            var datagrams: [[UInt8]] = [], current: [UInt8] = []
            for i in 0..<count {
                let s = IPVSService(key: .address(protocol: .tcp, address: IPAddress(v4: 0x0A60_0000 | UInt32(i + 1)), port: 80))
                let message = KernelMessages.generic(type: family, sequence: sequence, command: IPVSNetlinkConstants.commandNewService,
                                                     flags: Netlink.flagMulti) { w in
                    w.nested(IPVSNetlinkConstants.attributeService) { n in
                        s.encode(into: &n)
                        n.nested(IPVSNetlinkConstants.serviceStats) { st in for t in UInt16(1)...10 { st.append(t, u32: 0) } }
                        n.nested(IPVSNetlinkConstants.serviceStats64) { IPVSStats().encode64(into: &$0) }
                    }
                }
                if current.count + message.count > 32 << 10 { datagrams.append(current); current = [] }
                current += message
            }
            return datagrams + [current]
        }
        let prepared = Dictionary(uniqueKeysWithValues: (1...3).map { (UInt32($0), datagrams(sequence: UInt32($0))) })
        transport.replies = { prepared[$0.sequence] ?? [] }
        let client = IPVSClient(connection: NetlinkConnection(transport: transport),
                                family: GenericNetlinkFamily(name: "IPVS", id: family, version: 1))
        let clock = ContinuousClock()
        var samples: [Duration] = []
        for _ in 0..<3 {
            let t = clock.now
            let services = try client.services()
            samples.append(clock.now - t)
            #expect(services.count == count)
        }
        print("IPVS-DECODE-BENCH services=\(count) decode (min of 3)=\(samples.min()!)")
    }
}
