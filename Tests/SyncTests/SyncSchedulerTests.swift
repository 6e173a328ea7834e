import Foundation
import Testing
@testable import Sync

private func at(_ s: Double) -> Date { Date(timeIntervalSince1970: 1_000 + s) }

private func scheduler(min: Double = 1, period: Double = 30, backoff: Double = 1, maxBackoff: Double = 8) -> SyncScheduler {
    SyncScheduler(schedule: SyncSchedule(minSyncPeriod: min, syncPeriod: period, initialBackoff: backoff, maxBackoff: maxBackoff))
}

/// A scheduler that has done its first (full, successful) sync starting at `at(0)` and finishing at `at(0.1)`.
private func afterFirstSync(min: Double = 1, period: Double = 30) -> SyncScheduler {
    var s = scheduler(min: min, period: period)
    #expect(s.sourceSynced(at: at(0)) == .sync(.full))
    #expect(s.syncFinished(at: at(0.1), success: true) == .wait(until: at(period)))
    return s
}

@Suite struct SyncSchedulerTests {
    @Test func nothingSyncsBeforeTheSourceIsSynced() {
        var s = scheduler()
        #expect(s.changesArrived(at: at(0)) == .idle)
        #expect(s.tick(at: at(100)) == .idle)
        #expect(s.changesArrived(at: at(200)) == .idle)
        #expect(s.sourceSynced(at: at(300)) == .sync(.full))
    }

    @Test func firstSyncIsFullEvenWithoutChanges() {
        var s = scheduler()
        #expect(s.sourceSynced(at: at(0)) == .sync(.full))
        #expect(s.running == .full)
    }

    @Test func changesWhileRunningWaitForTheSyncToFinish() {
        var s = scheduler(min: 1)
        _ = s.sourceSynced(at: at(0))
        #expect(s.changesArrived(at: at(0.2)) == .idle)
        #expect(s.tick(at: at(5)) == .idle)
        // Finished after minSyncPeriod: the coalesced changes sync at once, incrementally.
        #expect(s.syncFinished(at: at(5), success: true) == .sync(.incremental))
    }

    @Test func burstsAreCoalescedWithinMinSyncPeriod() {
        var s = afterFirstSync(min: 2)
        #expect(s.changesArrived(at: at(0.5)) == .wait(until: at(2)))
        #expect(s.changesArrived(at: at(1.0)) == .wait(until: at(2)))
        #expect(s.changesArrived(at: at(1.9)) == .wait(until: at(2)))
        #expect(s.tick(at: at(1.99)) == .wait(until: at(2)))
        #expect(s.tick(at: at(2)) == .sync(.incremental))
        #expect(!s.hasPendingChanges)
        // The next burst is bounded from this sync's start.
        #expect(s.syncFinished(at: at(2.1), success: true) == .wait(until: at(30)))
        #expect(s.changesArrived(at: at(2.5)) == .wait(until: at(4)))
    }

    @Test func zeroMinSyncPeriodSyncsAsSoonAsThePreviousFinished() {
        var s = afterFirstSync(min: 0)
        #expect(s.changesArrived(at: at(0.2)) == .sync(.incremental))
        #expect(s.changesArrived(at: at(0.3)) == .idle)
        #expect(s.syncFinished(at: at(0.4), success: true) == .sync(.incremental))
        #expect(s.syncFinished(at: at(0.5), success: true) == .wait(until: at(30)))
    }

    @Test func periodicFullSyncWithoutChanges() {
        var s = afterFirstSync(period: 30)
        #expect(s.tick(at: at(29.9)) == .wait(until: at(30)))
        #expect(s.tick(at: at(30)) == .sync(.full))
        #expect(s.syncFinished(at: at(31), success: true) == .wait(until: at(60)))
    }

    @Test func incrementalSyncsDoNotPostponeThePeriodicFullSync() {
        var s = afterFirstSync(min: 1, period: 30)
        _ = s.changesArrived(at: at(10))
        #expect(s.tick(at: at(10)) == .idle)   // the change synced at once (running)
        #expect(s.syncFinished(at: at(10.5), success: true) == .wait(until: at(30)))
        #expect(s.tick(at: at(30)) == .sync(.full))
    }

    @Test func dueChangesAtThePeriodicDeadlineGiveAFullSync() {
        var s = afterFirstSync(min: 5, period: 30)
        _ = s.tick(at: at(30))   // periodic full starts at 30
        #expect(s.running == .full)
        #expect(s.changesArrived(at: at(30.1)) == .idle)
        #expect(s.syncFinished(at: at(30.2), success: true) == .wait(until: at(35)))
        #expect(s.tick(at: at(35)) == .sync(.incremental))
    }

    @Test func failedSyncIsRetriedInFullWithExponentialBackoff() {
        var s = afterFirstSync(min: 0)
        #expect(s.changesArrived(at: at(1)) == .sync(.incremental))
        #expect(s.syncFinished(at: at(1), success: false) == .wait(until: at(2)))
        #expect(s.tick(at: at(2)) == .sync(.full))
        #expect(s.syncFinished(at: at(2), success: false) == .wait(until: at(4)))
        #expect(s.tick(at: at(4)) == .sync(.full))
        #expect(s.syncFinished(at: at(4), success: false) == .wait(until: at(8)))
        #expect(s.tick(at: at(8)) == .sync(.full))
        #expect(s.syncFinished(at: at(8), success: false) == .wait(until: at(16)))
        #expect(s.tick(at: at(16)) == .sync(.full))
        // Capped at maxBackoff = 8.
        #expect(s.syncFinished(at: at(16), success: false) == .wait(until: at(24)))
        #expect(s.consecutiveFailures == 5)
        #expect(s.tick(at: at(24)) == .sync(.full))
        // Success resets the backoff and restarts the periodic clock from the retry's start.
        #expect(s.syncFinished(at: at(24.5), success: true) == .wait(until: at(54)))
        #expect(s.consecutiveFailures == 0)
        #expect(s.changesArrived(at: at(25)) == .sync(.incremental))
        #expect(s.syncFinished(at: at(25), success: false) == .wait(until: at(26)))
    }

    @Test func changesWhileBackingOffWaitForTheFullRetry() {
        var s = afterFirstSync(min: 0)
        _ = s.changesArrived(at: at(1))
        #expect(s.syncFinished(at: at(1), success: false) == .wait(until: at(2)))
        #expect(s.changesArrived(at: at(1.5)) == .wait(until: at(2)))
        #expect(s.tick(at: at(2.5)) == .sync(.full))
    }

    @Test func aFailedFirstSyncIsRetriedInFull() {
        var s = scheduler(min: 0)
        #expect(s.sourceSynced(at: at(0)) == .sync(.full))
        #expect(s.syncFinished(at: at(0), success: false) == .wait(until: at(1)))
        #expect(s.tick(at: at(1)) == .sync(.full))
        #expect(s.syncFinished(at: at(1), success: true) == .wait(until: at(31)))
    }

    @Test func retryRespectsMinSyncPeriod() {
        var s = scheduler(min: 5, period: 30, backoff: 1)
        _ = s.sourceSynced(at: at(0))
        #expect(s.syncFinished(at: at(0.5), success: false) == .wait(until: at(5)))
    }

    @Test func finishWithoutARunningSyncIsIgnored() {
        var s = afterFirstSync()
        #expect(s.syncFinished(at: at(1), success: false) == .wait(until: at(30)))
        #expect(s.consecutiveFailures == 0)
    }

    @Test(arguments: [
        (1.0, 8.0, [1.0, 2, 4, 8, 8, 8]),
        (0.5, 3.0, [0.5, 1, 2, 3, 3, 3]),
        (2.0, 1.0, [2.0, 2, 2, 2, 2, 2]),   // maxBackoff below initial is raised to it
    ])
    func backoffDoublesUpToTheCap(initial: Double, cap: Double, expected: [Double]) {
        let schedule = SyncSchedule(initialBackoff: initial, maxBackoff: cap)
        #expect(schedule.backoff(afterFailures: 0) == 0)
        #expect((1...expected.count).map { schedule.backoff(afterFailures: $0) } == expected)
        #expect(schedule.backoff(afterFailures: 10_000) == max(initial, cap))
    }

    /// Random inputs; checks the rules as invariants over the whole trace.
    @Test(arguments: 0..<20)
    func randomTracesKeepTheRules(seed: UInt64) {
        var rng = SplitMix(seed: seed)
        let schedule = SyncSchedule(minSyncPeriod: Double(rng.next() % 3), syncPeriod: Double(5 + rng.next() % 20),
                                    initialBackoff: 0.5, maxBackoff: 4)
        var s = SyncScheduler(schedule: schedule)
        var now = 0.0
        var synced = false, running: SyncKind?, lastStart: Double?, lastFullOK: Double?
        var retryNotBefore: Double?, mustBeFull = true, changedSinceStart = false
        var lastWait: Double?
        for _ in 0..<400 {
            now += Double(rng.next() % 1000) / 400
            let action: SyncAction
            switch rng.next() % 5 {
            case 0 where !synced: action = s.sourceSynced(at: at(now)); synced = true
            case 0, 1: action = s.changesArrived(at: at(now)); changedSinceStart = true
            case 2 where running != nil:
                let ok = rng.next() % 3 != 0
                if ok { if running == .full { lastFullOK = lastStart }; retryNotBefore = nil; mustBeFull = mustBeFull && running != .full }
                else { retryNotBefore = now + schedule.backoff(afterFailures: s.consecutiveFailures + 1); mustBeFull = true }
                running = nil
                action = s.syncFinished(at: at(now), success: ok)
            default: action = s.tick(at: at(now))
            }
            switch action {
            case .sync(let kind):
                #expect(synced && running == nil)
                if let lastStart { #expect(now - lastStart >= schedule.minSyncPeriod - 1e-9) }
                if let retryNotBefore { #expect(now >= retryNotBefore - 1e-9 && kind == .full) }
                if mustBeFull { #expect(kind == .full) }
                if kind == .incremental { #expect(changedSinceStart) }
                if let lastFullOK, now >= lastFullOK + schedule.syncPeriod { #expect(kind == .full) }
                running = kind; lastStart = now; changedSinceStart = false; lastWait = nil
            case .wait(let until):
                #expect(synced && running == nil && until.timeIntervalSince(at(now)) > 0)
                // Nothing due is left waiting past its deadline: the scheduler names the earliest.
                if let lastFullOK { #expect(until <= at(max(lastFullOK + schedule.syncPeriod, (lastStart ?? 0) + schedule.minSyncPeriod, retryNotBefore ?? 0)) ) }
                lastWait = until.timeIntervalSince1970
            case .idle:
                #expect(!synced || running != nil)
            }
        }
        _ = lastWait
    }
}

/// A small deterministic generator for randomized tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct SyncSchedulerLateTickTests {
    @Test func aLateTickPastThePeriodicDeadlineGivesAFullSync() {
        var s = afterFirstSync(min: 1, period: 30)
        #expect(s.changesArrived(at: at(0.5)) == .wait(until: at(1)))
        // The owner woke late (e.g. suspended): both the changes and the periodic sync are due.
        #expect(s.tick(at: at(45)) == .sync(.full))
    }
}
