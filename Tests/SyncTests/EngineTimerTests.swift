import Foundation
import Testing
@testable import Sync

/// The system clock, counting the sleeps the engine starts.
final class CountingClock: SyncClock, @unchecked Sendable {
    private let lock = NSLock()
    private var started = 0
    var sleeps: Int { lock.withLock { started } }
    func now() -> Date { Date() }
    func sleep(until deadline: Date) async throws {
        lock.withLock { started += 1 }
        try await SystemSyncClock().sleep(until: deadline)
    }
}

@Suite struct EngineTimerTests {
    /// A woken engine used to cancel its timer task, whose cancelled sleep then woke the engine again,
    /// which cancelled the next timer…: a busy loop that left a pending timer per turn (memory grew
    /// by hundreds of MB in the 10k-service benchmark). Now one timer lives per deadline.
    @Test func inputDoesNotMultiplyTimersAndIdleEngineStaysIdle() async throws {
        let clock = CountingClock(), applier = FakeApplier()
        let e = SyncEngine(config: Obj.config, applier: applier, schedule: SyncSchedule(minSyncPeriod: 0, syncPeriod: 3_600), clock: clock)
        let loop = Task { await e.run() }
        defer { loop.cancel() }
        await e.ingest([Obj.service("a")])
        try await waitFor { applier.calls.count == 1 }
        for i in 0..<20 {
            await e.ingest([Obj.service("a", port: 100 + i)])
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        try await waitFor { applier.held == Obj.expectedState([Obj.service("a", port: 119)]) }
        let afterInput = clock.sleeps
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(clock.sleeps == afterInput, "an idle engine starts no new timers: \(afterInput) → \(clock.sleeps)")
        #expect(afterInput <= 3, "one timer for the periodic deadline, not one per wake-up: \(afterInput)")
        loop.cancel()
        _ = await loop.value
    }
}
