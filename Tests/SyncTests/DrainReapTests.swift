import Apply
import Diff
import Foundation
import Model
import Testing
@testable import Sync

/// An applier with draining backends (like IPVS): records syncs and reaps, in call order.
final class ReapingApplier: DrainReaper, @unchecked Sendable {
    enum Call: Equatable { case full, incremental, reap }
    let name = "reaping"
    private let lock = NSLock()
    private var _calls: [Call] = []
    private var _reapResult: Result<Int, ReapFailure> = .success(0)
    private var inApply = false
    private var _overlapped = false
    struct ReapFailure: Error, Equatable {}

    var calls: [Call] { lock.withLock { _calls } }
    var reaps: Int { calls.filter { $0 == .reap }.count }
    /// A reap ran while an apply was in progress (must never happen).
    var overlapped: Bool { lock.withLock { _overlapped } }
    func reapWill(_ result: Result<Int, ReapFailure>) { lock.withLock { _reapResult = result } }

    func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        try await apply(.full)
        return ApplyReport(full: true)
    }

    func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        try await apply(.incremental)
        return ApplyReport(full: false)
    }

    private func apply(_ call: Call) async throws {
        lock.withLock { inApply = true; _calls.append(call) }
        try await Task.sleep(nanoseconds: 2_000_000)
        lock.withLock { inApply = false }
    }

    func reapDrained() async throws -> Int {
        try lock.withLock {
            if inApply { _overlapped = true }
            _calls.append(.reap)
            return try _reapResult.get()
        }
    }

    func cleanup() async throws {}
}

/// Collects `drainReaped` reports.
final class ReapObserver: SyncObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _reports: [(Int, Bool)] = []
    var reports: [(deleted: Int, failed: Bool)] { lock.withLock { _reports.map { ($0.0, $0.1) } } }
    func statusChanged(_ status: SyncStatus) {}
    func syncCompleted(_ record: SyncRecord, status: SyncStatus) {}
    func drainReaped(deleted: Int, error: (any Error)?) { lock.withLock { _reports.append((deleted, error != nil)) } }
}

@Suite struct DrainReapTests {
    @Test func reapsStartAfterTheFirstSyncAndRecurEveryInterval() async {
        let clock = ManualClock(), applier = ReapingApplier(), observer = ReapObserver()
        let e = SyncEngine(config: Obj.config, applier: applier, schedule: SyncSchedule(minSyncPeriod: 0, syncPeriod: 3_600),
                           clock: clock, observers: [observer], drainReapInterval: 5)
        await e.ingest([Obj.service("a")], synced: false)
        clock.advance(100)
        #expect(await e.step() == .idle, "no reap before the first sync")
        #expect(applier.reaps == 0)

        await e.ingest([], synced: true)
        let afterSync = await e.step()
        #expect(applier.calls == [.full])
        #expect(afterSync == .wait(until: clock.now().addingTimeInterval(5)), "the engine wakes up for the next reap")

        clock.advance(4.9)
        _ = await e.step()
        #expect(applier.reaps == 0)
        clock.advance(0.1)
        applier.reapWill(.success(3))
        let next = await e.step()
        #expect(applier.calls == [.full, .reap], "a reap without any change to sync")
        #expect(next == .wait(until: clock.now().addingTimeInterval(5)))
        #expect(observer.reports.map(\.deleted) == [3])

        clock.advance(5)
        applier.reapWill(.failure(ReapingApplier.ReapFailure()))
        _ = await e.step()
        #expect(applier.reaps == 2)
        #expect(observer.reports.last?.failed == true, "a failing reap is reported, and the engine goes on")
        clock.advance(5)
        applier.reapWill(.success(0))
        _ = await e.step()
        #expect(applier.reaps == 3)
    }

    @Test func aDueReapFollowsTheSyncInTheSameStep() async {
        let clock = ManualClock(), applier = ReapingApplier()
        let e = SyncEngine(config: Obj.config, applier: applier, schedule: SyncSchedule(minSyncPeriod: 0, syncPeriod: 3_600),
                           clock: clock, drainReapInterval: 1)
        await e.ingest([Obj.service("a")])
        _ = await e.step()
        clock.advance(2)
        await e.ingest([Obj.service("b", ip: "10.96.0.2")])
        _ = await e.step()
        #expect(applier.calls == [.full, .incremental, .reap])
    }

    @Test func theRunLoopReapsOnItsTimerWhileNothingChangesAndNeverDuringAnApply() async throws {
        let applier = ReapingApplier()
        let e = SyncEngine(config: Obj.config, applier: applier, schedule: SyncSchedule(minSyncPeriod: 0, syncPeriod: 3_600),
                           drainReapInterval: 0.02)
        let loop = Task { await e.run() }
        defer { loop.cancel() }
        await e.ingest([Obj.service("a")])
        try await waitFor { applier.reaps >= 3 }
        for i in 0..<5 { await e.ingest([Obj.service("a", port: 81 + i)]); try await Task.sleep(nanoseconds: 5_000_000) }
        let reapsBefore = applier.reaps
        try await waitFor { applier.reaps >= reapsBefore + 3 }
        #expect(applier.calls.filter { $0 != .reap }.count >= 2)
        #expect(!applier.overlapped)
        loop.cancel()
        _ = await loop.value
    }

    @Test func anApplierWithoutDrainingIsNeverAskedAndStepIsUnchanged() async {
        let clock = ManualClock(), applier = FakeApplier()
        let e = SyncEngine(config: Obj.config, applier: applier, schedule: SyncSchedule(minSyncPeriod: 0, syncPeriod: 3_600),
                           clock: clock, drainReapInterval: 1)
        await e.ingest([Obj.service("a")])
        #expect(await e.step() == .wait(until: clock.now().addingTimeInterval(3_600)))
    }
}
