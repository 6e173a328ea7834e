import Foundation
import KubeObjects
import Model
import Testing
@testable import Sync

/// Random event batches and random apply failures, then quiet: what the applier holds must equal
/// what the final objects demand.
@Suite struct SyncEnginePropertyTests {
    @Test(arguments: 0..<12)
    func backendConvergesToTheFinalObjects(seed: UInt64) async {
        var rng = SplitMix(seed: seed)
        let clock = ManualClock()
        let applier = FakeApplier()
        let failRate = rng.next() % 4   // 0 %, 25 %, 50 %, 75 %
        let failures = FailureScript(seed: seed ^ 0xABCD, rate: failRate)
        applier.fail { failures.shouldFail($0) }
        let e = SyncEngine(config: Obj.config, applier: applier,
                           schedule: SyncSchedule(minSyncPeriod: Double(rng.next() % 3) / 2, syncPeriod: 20,
                                                  initialBackoff: 0.5, maxBackoff: 4),
                           clock: clock)
        var objects: [ObjectRef: ObjectEvent] = [:]
        let batches = 20 + Int(rng.next() % 20)
        for b in 0..<batches {
            var batch: [ObjectEvent] = []
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let event = Self.randomEvent(&rng)
                batch.append(event)
                switch event {
                case .upsert(let o): objects[o.ref] = event
                case .delete(let ref): objects[ref] = nil
                }
            }
            await e.ingest(batch, synced: b >= 2)
            clock.advance(Double(rng.next() % 100) / 40)
            _ = await e.step()
        }
        // Quiet: no more failures; let retries and the periodic sync run.
        failures.stop()
        for _ in 0..<10 {
            clock.advance(5)
            _ = await e.step()
        }
        let inc = applier.calls.filter { if case .incremental = $0 { return true } else { return false } }.count
        #expect(inc > 0)   // the run exercised incremental applies, not only full ones
        let expected = Obj.expectedState(Array(objects.values))
        #expect(applier.held == expected)
        #expect(await e.lastApplied == expected)
        #expect(await e.status.consecutiveFailures == 0)
    }

    static func randomEvent(_ rng: inout SplitMix) -> ObjectEvent {
        let svc = "s\(rng.next() % 5)"
        switch rng.next() % 10 {
        case 0, 1, 2:
            let port = 80 + Int(rng.next() % 3)
            let index = Int(svc.dropFirst())!
            return Obj.service(svc, ip: "10.96.0.\(index + 1)", port: port) { spec in
                if rng.next() % 3 == 0 { spec.type = "NodePort"; spec.externalTrafficPolicy = "Local" }
            }
        case 3: return Obj.deleteService(svc)
        case 4, 5, 6, 7:
            let name = "\(svc)-\(rng.next() % 2)"
            let ips = (0..<(rng.next() % 4)).map { _ in "10.244.\(rng.next() % 3).\(1 + rng.next() % 9)" }
            let node = rng.next() % 2 == 0 ? "node-a" : "node-b"
            return Obj.slice(name, service: svc, ips: ips, node: node)
        case 8: return Obj.deleteSlice("\(svc)-\(rng.next() % 2)")
        default:
            let zone = ["z1", "z2", nil][Int(rng.next() % 3)]
            return .upsert(.node(Node(metadata: ObjectMeta(name: "node-a", labels: zone.map { [Node.zoneLabel: $0] }), status: nil)))
        }
    }
}

/// Decides per applier call whether it fails, from a seed, until stopped.
final class FailureScript: @unchecked Sendable {
    private let lock = NSLock()
    private var rng: SplitMix
    private let rate: UInt64
    private var stopped = false
    init(seed: UInt64, rate: UInt64) { rng = SplitMix(seed: seed); self.rate = rate }
    func stop() { lock.withLock { stopped = true } }
    func shouldFail(_ call: Int) -> Bool {
        lock.withLock { !stopped && rng.next() % 4 < rate }
    }
}
