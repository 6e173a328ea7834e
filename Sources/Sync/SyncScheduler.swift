import Foundation

/// Which kind of sync the scheduler asks for.
public enum SyncKind: String, Hashable, Sendable {
    /// Apply the whole state (first sync, periodic resync, retry after a failure).
    case full
    /// Apply only what changed since the last successful sync.
    case incremental
}

/// What the owner of a `SyncScheduler` must do next.
public enum SyncAction: Hashable, Sendable {
    /// Start a sync of this kind now, then report `syncFinished(at:success:)`.
    case sync(SyncKind)
    /// Nothing is due before this time: call `tick(at:)` then (or feed new input earlier).
    case wait(until: Date)
    /// Nothing is scheduled: wait for input (the source is not synced yet, or a sync is running).
    case idle
}

/// Timing rules for `SyncScheduler`.
public struct SyncSchedule: Hashable, Sendable {
    /// Minimum time between the starts of two syncs; bursts of changes inside it are coalesced.
    /// Zero syncs as soon as the previous sync finished.
    public var minSyncPeriod: TimeInterval
    /// A full sync runs at least this often (kube-proxy's `--iptables-sync-period`).
    public var syncPeriod: TimeInterval
    /// Delay before the first retry after a failed sync.
    public var initialBackoff: TimeInterval
    /// Upper bound of the retry delay, which doubles with each consecutive failure.
    public var maxBackoff: TimeInterval

    /// Values are clamped: periods and backoffs are never negative, `syncPeriod` is at least 1 ms
    /// and `maxBackoff` at least `initialBackoff`.
    public init(minSyncPeriod: TimeInterval = 1, syncPeriod: TimeInterval = 30,
                initialBackoff: TimeInterval = 1, maxBackoff: TimeInterval = 30) {
        self.minSyncPeriod = max(0, minSyncPeriod)
        self.syncPeriod = max(0.001, syncPeriod)
        self.initialBackoff = max(0, initialBackoff)
        self.maxBackoff = max(self.initialBackoff, maxBackoff)
    }

    /// The retry delay after `failures` consecutive failures (1 → `initialBackoff`), capped.
    public func backoff(afterFailures failures: Int) -> TimeInterval {
        guard failures > 0 else { return 0 }
        var delay = initialBackoff
        var n = 1
        while n < failures && delay < maxBackoff { delay *= 2; n += 1 }
        return min(delay, maxBackoff)
    }
}

/// A coalescing, bounded-frequency sync scheduler (kube-proxy's BoundedFrequencyRunner) as a pure
/// state machine: every input returns the next `SyncAction`; the owner performs it and feeds the
/// outcome back. It reads no clock and starts no timer, so tests drive it with plain dates.
///
/// Rules:
/// - nothing syncs before `sourceSynced(at:)`; the first sync is full;
/// - at most one sync runs at a time; changes arriving meanwhile are coalesced into the next one;
/// - two sync starts are at least `minSyncPeriod` apart;
/// - a full sync runs `syncPeriod` after the start of the last successful full sync, changes or not;
/// - a failed sync is retried as a full sync after an exponential backoff (capped); changes arriving
///   while backing off wait for the retry, which includes them;
/// - a due periodic or retry sync is full; otherwise changes give an incremental sync.
public struct SyncScheduler: Sendable {
    public let schedule: SyncSchedule

    /// The source delivered its initial listing.
    public private(set) var sourceIsSynced = false
    /// A sync was started and not yet reported finished.
    public private(set) var running: SyncKind?
    /// Changes arrived since the last sync started.
    public private(set) var hasPendingChanges = false
    /// Consecutive failed syncs.
    public private(set) var consecutiveFailures = 0
    /// When the last sync started.
    public private(set) var lastSyncStart: Date?
    /// When the last successful full sync started.
    public private(set) var lastFullSyncStart: Date?
    /// When the retry after a failure is due.
    public private(set) var retryAt: Date?
    private var runningSince: Date?

    public init(schedule: SyncSchedule) { self.schedule = schedule }

    /// The source has listed everything; syncing may begin.
    public mutating func sourceSynced(at now: Date) -> SyncAction {
        sourceIsSynced = true
        return next(at: now)
    }

    /// New changes were recorded.
    public mutating func changesArrived(at now: Date) -> SyncAction {
        hasPendingChanges = true
        return next(at: now)
    }

    /// The running sync finished. Ignored when no sync is running.
    public mutating func syncFinished(at now: Date, success: Bool) -> SyncAction {
        guard let kind = running, let started = runningSince else { return next(at: now) }
        running = nil
        runningSince = nil
        if success {
            consecutiveFailures = 0
            retryAt = nil
            if kind == .full { lastFullSyncStart = started }
        } else {
            consecutiveFailures += 1
            retryAt = now.addingTimeInterval(schedule.backoff(afterFailures: consecutiveFailures))
        }
        return next(at: now)
    }

    /// Time passed; returns what is due now.
    public mutating func tick(at now: Date) -> SyncAction { next(at: now) }

    /// The earliest time the next sync may start under `minSyncPeriod`.
    private var earliestStart: Date? { lastSyncStart?.addingTimeInterval(schedule.minSyncPeriod) }

    private mutating func next(at now: Date) -> SyncAction {
        guard sourceIsSynced, running == nil else { return .idle }
        let (due, kind) = nextDue(now: now)
        if now >= due { return start(kind, at: now) }
        return .wait(until: due)
    }

    /// When the next sync is due and its kind (full when the periodic sync is also due by `now`).
    private func nextDue(now: Date) -> (Date, SyncKind) {
        let earliest = earliestStart ?? .distantPast
        if let retryAt { return (max(retryAt, earliest), .full) }
        guard let lastFull = lastFullSyncStart else { return (earliest, .full) }   // the first sync
        let periodic = max(lastFull.addingTimeInterval(schedule.syncPeriod), earliest)
        if hasPendingChanges && earliest < periodic && now < periodic { return (earliest, .incremental) }
        return (periodic, .full)
    }

    private mutating func start(_ kind: SyncKind, at now: Date) -> SyncAction {
        running = kind
        runningSince = now
        lastSyncStart = now
        hasPendingChanges = false
        return .sync(kind)
    }
}
