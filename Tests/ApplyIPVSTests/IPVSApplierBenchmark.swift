import Diff
import IPVSNetlink
import Model
import SwitchyardCore
import Testing
@testable import ApplyIPVS

/// Scale measurements in the UML guest (printed as IPVS-APPLY-BENCH lines; no timing assertions).
/// SWITCHYARD_IPVS_APPLY_SERVICES sets the service count (default 1000; 10000 for the target).
@Suite(.serialized, .enabled(if: UMLGuest.hasIPVS, "needs the UML guest (scripts/test-ipvs)"))
struct IPVSApplierBenchmark {
    typealias F = IPVSFixtures

    static func port(_ i: Int, endpoints: Int, shift: Int = 0) -> ServicePort {
        let vip = IPAddress(v4: 0x0A60_0000 | UInt32(i + 1))
        let eps = (0..<endpoints).map { j in
            Endpoint(ip: IPAddress(v4: 0x0AF4_0000 | UInt32((i * endpoints + j + shift) % 65_000 + 2)), port: 8080, isLocal: false)
        }
        return F.port(F.key("bench", "s\(i)"), clusterIP: "\(vip)", port: 80, endpoints: eps)
    }

    @Test func fullSyncDumpAndOneEndpointChange() async throws {
        let count = UMLGuest.integer("SWITCHYARD_IPVS_APPLY_SERVICES", default: 1000)
        try await UMLGuest.withNamespaces(["bench"]) { names in
            let ns = names[0]
            try IPVSApplierKernelTests.prepareNode(ns)
            var state = F.state((0..<count).map { Self.port($0, endpoints: 10) }, config: F.config(families: [.ipv4]))
            let applier = IPVSApplier(netns: ns, iptables: UMLGuest.iptables)
            let clock = ContinuousClock()
            var t = clock.now
            _ = try await applier.applyFull(state)
            let full = clock.now - t
            print("IPVS-APPLY-BENCH first full sync phases: \(await applier.lastFullSyncPhases.map { "\($0.phase)=\($0.seconds)" }.joined(separator: " "))")
            let c = try IPVSApplierKernelTests.client(ns)
            t = clock.now
            let dumped = try c.services()
            let dump = clock.now - t
            #expect(dumped.count == count)
            t = clock.now
            let again = try await applier.applyFull(state)
            let resync = clock.now - t
            print("IPVS-APPLY-BENCH unchanged full sync phases: \(await applier.lastFullSyncPhases.map { "\($0.phase)=\($0.seconds)" }.joined(separator: " "))")
            #expect(again.elementsWritten == 0)

            var samples: [Duration] = []
            for round in 0..<21 {
                let i = (round * 7919) % count
                let old = state.allPorts.first { $0.key.service.name == "s\(i)" }!
                var new = old
                new.clusterEndpoints[0] = Endpoint(ip: IPAddress(v4: 0x0AF5_0000 | UInt32(round + 2)), port: 8080, isLocal: false)
                new.clusterEndpoints.sort()
                state.services[old.key.service]!.ports = [new]
                t = clock.now
                _ = try await applier.applyIncremental(StateDiff(changed: [PortChange(old: old, new: new)]), state: state)
                samples.append(clock.now - t)
            }
            samples.sort()
            print("IPVS-APPLY-BENCH services=\(count) realServers=\(count * 10) fullSync=\(full) dumpServices=\(dump) "
                  + "unchangedResync=\(resync) oneEndpointChange median=\(samples[samples.count / 2]) max=\(samples.last!)")
            try await applier.cleanup()
        }
    }
}
