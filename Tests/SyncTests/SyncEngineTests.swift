import Apply
import Diff
import Foundation
import KubeObjects
import Model
import Testing
@testable import Sync

private func engine(_ applier: FakeApplier, _ clock: ManualClock, min: Double = 1, period: Double = 30,
                    observers: [any SyncObserver] = []) -> SyncEngine {
    SyncEngine(config: Obj.config, applier: applier,
               schedule: SyncSchedule(minSyncPeriod: min, syncPeriod: period, initialBackoff: 1, maxBackoff: 8),
               clock: clock, observers: observers)
}

private func isFull(_ call: FakeApplier.Call) -> Bool { if case .full = call { return true } else { return false } }

@Suite struct SyncEngineTests {
    @Test func nothingIsAppliedBeforeTheSourceIsSynced() async {
        let clock = ManualClock(), applier = FakeApplier()
        let e = engine(applier, clock)
        await e.ingest([Obj.service("a")], synced: false)
        clock.advance(100)
        #expect(await e.step() == .idle)
        #expect(applier.calls.isEmpty)
        await e.ingest([], synced: true)
        _ = await e.step()
        #expect(applier.calls.count == 1)
        #expect(applier.calls.first.map(isFull) == true)
        #expect(applier.held == Obj.expectedState([Obj.service("a")]))
    }

    @Test func burstsAreCoalescedIntoOneIncrementalApply() async throws {
        let clock = ManualClock(), applier = FakeApplier()
        let e = engine(applier, clock, min: 2)
        await e.ingest([Obj.service("a")])
        _ = await e.step()                         // first, full
        var events: [ObjectEvent] = [Obj.service("a")]
        let firstStart = clock.now()
        for i in 0..<5 {
            clock.advance(0.25)
            let ev = Obj.slice("a-\(i)", service: "a", ips: ["10.244.0.\(i + 1)"])
            events.append(ev)
            await e.ingest([ev])
            #expect(await e.step() == .wait(until: firstStart.addingTimeInterval(2)))
        }
        #expect(applier.calls.count == 1)
        clock.set(firstStart.addingTimeInterval(2))
        _ = await e.step()
        #expect(applier.calls.count == 2)
        guard case .incremental(let diff, _) = applier.calls[1] else { Issue.record("expected incremental"); return }
        #expect(diff.added.isEmpty && diff.removed.isEmpty)
        let change = try #require(diff.changed.first)
        #expect(diff.changed.count == 1)
        #expect(change.old.clusterEndpoints.isEmpty)
        #expect(change.new.clusterEndpoints.map(\.description) == (1...5).map { "10.244.0.\($0):8080" })
        #expect(applier.held == Obj.expectedState(events))
        #expect(await e.lastApplied == Obj.expectedState(events))
    }

    @Test func diffHandsAddedRemovedAndChangedPorts() async throws {
        let clock = ManualClock(), applier = FakeApplier()
        let e = engine(applier, clock, min: 0)
        await e.ingest([Obj.service("a", ip: "10.96.0.1"), Obj.service("b", ip: "10.96.0.2")])
        _ = await e.step()
        await e.ingest([Obj.deleteService("a"), Obj.service("c", ip: "10.96.0.3"),
                        Obj.service("b", ip: "10.96.0.2", port: 81)])
        _ = await e.step()
        guard case .incremental(let diff, let state) = try #require(applier.calls.last) else {
            Issue.record("expected incremental"); return
        }
        #expect(diff.removed.map(\.key.service.name) == ["a"])
        #expect(diff.added.map(\.key.service.name) == ["c"])
        #expect(diff.changed.map { [$0.old.port, $0.new.port] } == [[80, 81]])
        #expect(!diff.requiresFullSync)
        #expect(state == Obj.expectedState([Obj.service("b", ip: "10.96.0.2", port: 81), Obj.service("c", ip: "10.96.0.3")]))
    }

    @Test func emptyDiffSkipsTheApplier() async {
        let clock = ManualClock(), applier = FakeApplier()
        let observer = RecordingObserver()
        let e = engine(applier, clock, min: 0, observers: [observer])
        await e.ingest([Obj.service("a")])
        _ = await e.step()
        await e.ingest([Obj.service("a")])   // the same object again
        _ = await e.step()
        #expect(applier.calls.count == 1)
        #expect(observer.records.count == 2)
        #expect(observer.records.last?.success == true && observer.records.last?.report == nil)
    }

    @Test func failedApplyKeepsTheLastAppliedStateAndRetriesInFull() async {
        let clock = ManualClock(), applier = FakeApplier()
        let e = engine(applier, clock, min: 0)
        await e.ingest([Obj.service("a")])
        _ = await e.step()
        let first = await e.lastApplied
        applier.failNext(1)
        await e.ingest([Obj.service("b", ip: "10.96.0.2")])
        let next = await e.step()
        #expect(applier.calls.count == 2)
        #expect(await e.lastApplied == first)
        #expect(await e.status.consecutiveFailures == 1)
        #expect(await e.status.lastError == "injected failure")
        #expect(next == .wait(until: clock.now().addingTimeInterval(1)))
        clock.advance(1)
        _ = await e.step()
        #expect(applier.calls.count == 3)
        #expect(isFull(applier.calls[2]))
        let expected = Obj.expectedState([Obj.service("a"), Obj.service("b", ip: "10.96.0.2")])
        #expect(await e.lastApplied == expected)
        #expect(applier.held == expected)
        let status = await e.status
        #expect(status.consecutiveFailures == 0 && status.lastError == nil)
    }

    @Test func periodicFullSync() async {
        let clock = ManualClock(), applier = FakeApplier()
        let e = engine(applier, clock, min: 1, period: 30)
        await e.ingest([Obj.service("a")])
        #expect(await e.step() == .wait(until: clock.now().addingTimeInterval(30)))
        clock.advance(29)
        _ = await e.step()
        #expect(applier.calls.count == 1)
        clock.advance(1)
        _ = await e.step()
        #expect(applier.calls.count == 2 && isFull(applier.calls[1]))
    }

    @Test func nodeChangeForcesAFullApply() async {
        let clock = ManualClock(), applier = FakeApplier()
        let e = engine(applier, clock, min: 0)
        await e.ingest([Obj.service("a")])
        _ = await e.step()
        let node = Node(metadata: ObjectMeta(name: "node-a", labels: [Node.zoneLabel: "z1"]), status: nil)
        await e.ingest([.upsert(.node(node))])
        _ = await e.step()
        #expect(applier.calls.count == 2 && isFull(applier.calls[1]))
        let observerlessState = await e.lastApplied
        #expect(observerlessState?.node.zone == "z1")
    }

    @Test func statusCountsChangesAndQueueTimes() async {
        let clock = ManualClock(), applier = FakeApplier()
        let e = engine(applier, clock, min: 5)
        let t0 = clock.now()
        await e.ingest([Obj.service("a"), Obj.slice("a-1", service: "a", ips: ["10.244.0.1"]),
                        Obj.slice("a-1", service: "a", ips: ["10.244.0.2"])])
        var s = await e.status
        #expect(s.pendingServiceChanges == 1 && s.pendingEndpointChanges == 1)
        #expect(s.serviceChangesTotal == 1 && s.endpointChangesTotal == 2)
        #expect(s.lastQueuedTime == t0 && s.oldestPendingQueuedTime == t0 && s.lastSyncTime == nil)
        clock.advance(1)
        _ = await e.step()
        s = await e.status
        #expect(s.pendingServiceChanges == 0 && s.pendingEndpointChanges == 0)
        #expect(s.oldestPendingQueuedTime == nil && s.lastSyncTime == clock.now() && s.fullSyncs == 1)
        clock.advance(1)
        await e.ingest([Obj.deleteSlice("a-1")])
        s = await e.status
        #expect(s.pendingEndpointChanges == 1 && s.endpointChangesTotal == 3 && s.oldestPendingQueuedTime == clock.now())
        // A failed sync puts the queued time back: health must keep counting from the first change.
        let queued = clock.now()
        applier.failNext(1)
        clock.advance(4)
        _ = await e.step()
        s = await e.status
        #expect(s.failedSyncs == 1 && s.oldestPendingQueuedTime == queued && s.lastSyncTime == queued.addingTimeInterval(-1))
    }

    @Test func networkProgrammingLatencyIsObservedAfterTheApplyThatIncludedIt() async throws {
        let clock = ManualClock(), applier = FakeApplier(clock: clock, applyTime: 0.25)
        let observer = RecordingObserver()
        let e = engine(applier, clock, min: 0, observers: [observer])
        await e.ingest([Obj.service("a")])
        _ = await e.step()
        clock.advance(1)
        let trigger = clock.now().addingTimeInterval(-0.5)
        let old = clock.now().addingTimeInterval(-3_600)   // before the engine started: not observed
        applier.failNext(1)
        await e.ingest([Obj.slice("a-1", service: "a", ips: ["10.244.0.1"]), Obj.slice("a-2", service: "a", ips: ["10.244.0.2"])],
                       triggerTimes: [Obj.sliceRef("a-1"): trigger, Obj.sliceRef("a-2"): old])
        _ = await e.step()
        #expect(observer.records.last?.success == false)
        #expect(observer.records.last?.networkProgrammingLatencies == [])
        clock.advance(1)
        _ = await e.step()
        let record = try #require(observer.records.last)
        #expect(record.success && record.kind == .full)
        #expect(record.networkProgrammingLatencies == [record.finished.timeIntervalSince(trigger)])
        #expect(abs(record.duration - 0.25) < 1e-9)
        // A later sync does not observe the same trigger again.
        clock.advance(1)
        await e.ingest([Obj.slice("a-1", service: "a", ips: ["10.244.0.9"])])
        _ = await e.step()
        #expect(observer.records.count == 4)
        #expect(observer.records.last?.networkProgrammingLatencies == [])
    }

    @Test func changesDuringAnApplyAreSyncedNext() async {
        let clock = ManualClock()
        let applier = SlowApplier()
        let e = SyncEngine(config: Obj.config, applier: applier, schedule: SyncSchedule(minSyncPeriod: 0), clock: clock)
        await e.ingest([Obj.service("a")])
        let stepping = Task { await e.step() }
        await applier.waitUntilEntered()
        await e.ingest([Obj.service("b", ip: "10.96.0.2")])   // arrives while the first apply runs
        #expect(await e.status.oldestPendingQueuedTime != nil)
        applier.release()
        _ = await stepping.value
        #expect(applier.fullStates.count == 1 && applier.diffs.count == 1)
        #expect(applier.diffs.first?.added.map(\.key.service.name) == ["b"])
        #expect(await e.status.oldestPendingQueuedTime == nil)
    }

    @Test func runLoopSyncsOnInputWithTheSystemClock() async throws {
        let applier = FakeApplier()
        let e = SyncEngine(config: Obj.config, applier: applier, schedule: SyncSchedule(minSyncPeriod: 0, syncPeriod: 3_600))
        let loop = Task { await e.run() }
        defer { loop.cancel() }
        await e.ingest([Obj.service("a")])
        try await waitFor { applier.calls.count == 1 }
        await e.ingest([Obj.service("b", ip: "10.96.0.2")])
        try await waitFor { applier.calls.count == 2 }
        #expect(applier.held == Obj.expectedState([Obj.service("a"), Obj.service("b", ip: "10.96.0.2")]))
        loop.cancel()
        _ = await loop.value   // returns once cancelled
    }
}

/// Polls until `condition` holds (at most ~5 s).
func waitFor(_ condition: @Sendable () -> Bool) async throws {
    for _ in 0..<500 where !condition() { try await Task.sleep(nanoseconds: 10_000_000) }
    #expect(condition())
}

/// An applier whose first apply blocks until released.
final class SlowApplier: ProxyApplier, @unchecked Sendable {
    let name = "slow"
    private let lock = NSLock()
    private var entered = false, released = false
    private var _full: [ProxyState] = [], _diffs: [StateDiff] = []
    var fullStates: [ProxyState] { lock.withLock { _full } }
    var diffs: [StateDiff] { lock.withLock { _diffs } }
    func release() { lock.withLock { released = true } }
    func waitUntilEntered() async { while !lock.withLock({ entered }) { try? await Task.sleep(nanoseconds: 1_000_000) } }
    func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        lock.withLock { entered = true; _full.append(state) }
        while !lock.withLock({ released }) { try? await Task.sleep(nanoseconds: 1_000_000) }
        return ApplyReport(full: true)
    }
    func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        lock.withLock { _diffs.append(diff) }
        return ApplyReport(full: false)
    }
    func cleanup() async throws {}
}
