import Apply
import Diff
import Foundation
import KubeObjects
import Model
import SwitchyardCore

/// Drives one backend: takes object events, decides when to sync (`SyncScheduler`), commits the
/// `ProxyStateTracker`, diffs against what was last applied and calls the `ProxyApplier`.
///
/// What was last applied successfully is kept as `lastApplied`; a failed apply leaves it unchanged and
/// the scheduler's retry is a full apply, so the backend always converges from the truth.
///
/// Feed events with `ingest`; either call `run()` (loops until cancelled) or drive `step()` yourself.
///
/// An applier that is a `DrainReaper` (IPVS) is asked to reap drained backends every
/// `drainReapInterval` once the first sync succeeded: after a sync when due, and on the engine's own
/// timer while nothing syncs, so a removed real server goes once its connections end even when no
/// change arrives. The call is made between syncs, never during one.
public actor SyncEngine {
    public let applier: any ProxyApplier
    public let clock: any SyncClock
    /// How often a `DrainReaper` applier is asked to reap (seconds).
    public let drainReapInterval: TimeInterval
    private let reaper: (any DrainReaper)?
    /// When the next reap is due; nil until the first successful sync.
    private var nextReap: Date?
    private let observers: [any SyncObserver]

    private var tracker: ProxyStateTracker
    private var scheduler: SyncScheduler
    /// The state the backend holds after the last successful apply; nil before the first.
    public private(set) var lastApplied: ProxyState?
    public private(set) var status = SyncStatus()

    /// Services and node changes committed but not yet applied successfully (the diff's scope).
    private var unappliedServices: Set<ServiceName> = []
    private var unappliedNodeChange = false
    /// Distinct objects changed since the last commit, for the pending-changes gauges.
    private var pendingRefs: Set<ObjectRef> = []
    /// Trigger times of slice changes not yet applied, per slice (earliest first, bounded).
    private var pendingTriggers: [ObjectRef: [Date]] = [:]
    private let startTime: Date
    private static let maxTriggersPerSlice = 16

    /// A sync the scheduler started on input, not yet performed.
    private var startedSync: SyncKind?
    private var waiter: CheckedContinuation<Void, Never>?
    private var wakeupPending = false
    /// The task sleeping until the next deadline `run()` waits for.
    private var timer: (deadline: Date, task: Task<Void, Never>)?

    public init(config: NodeConfig, applier: any ProxyApplier, schedule: SyncSchedule = SyncSchedule(),
                clock: any SyncClock = SystemSyncClock(), observers: [any SyncObserver] = [],
                drainReapInterval: TimeInterval = 1) {
        self.applier = applier
        self.clock = clock
        self.reaper = applier as? any DrainReaper
        self.drainReapInterval = max(0.001, drainReapInterval)
        self.observers = observers
        self.tracker = ProxyStateTracker(config: config)
        self.scheduler = SyncScheduler(schedule: schedule)
        self.startTime = clock.now()
    }

    // MARK: - Input

    /// Records a batch of events from the source.
    ///
    /// - Parameters:
    ///   - events: object changes, in order.
    ///   - synced: the source has delivered its initial listing (sticky once true).
    ///   - triggerTimes: `endpoints.kubernetes.io/last-change-trigger-time` per EndpointSlice in this batch.
    /// - Returns: diagnostics for rejected objects.
    @discardableResult
    public func ingest(_ events: [ObjectEvent], synced: Bool = true, triggerTimes: [ObjectRef: Date] = [:]) -> [Diagnostic] {
        let now = clock.now()
        let diagnostics = tracker.apply(events)
        countChanges(events, at: now)
        recordTriggers(triggerTimes)
        if !events.isEmpty { hold(scheduler.changesArrived(at: now)) }
        if synced && !scheduler.sourceIsSynced {
            hold(scheduler.sourceSynced(at: now))
            status.sourceSynced = true
        }
        publishStatus()
        wake()
        return diagnostics
    }

    /// The scheduler starts a sync when it returns `.sync`; keep it for `step` to perform.
    private func hold(_ action: SyncAction) {
        if case .sync(let kind) = action { startedSync = kind }
    }

    /// The state the tracker last committed (what the last sync attempted).
    public var committedState: ProxyState { tracker.state }

    // MARK: - Driving

    /// Performs a sync if one is due now and returns what to do next (`.wait` or `.idle`; never `.sync`).
    /// Call from one task at a time (`run()` does).
    @discardableResult
    public func step() async -> SyncAction {
        var action: SyncAction
        if let kind = startedSync {
            startedSync = nil
            action = .sync(kind)
        } else {
            action = scheduler.tick(at: clock.now())
        }
        while case .sync(let kind) = action {
            let success = await sync(kind)
            action = scheduler.syncFinished(at: clock.now(), success: success)
        }
        await reapIfDue()
        return withReapDeadline(action)
    }

    /// Asks a `DrainReaper` applier to reap when the interval has passed since the last time.
    private func reapIfDue() async {
        guard let reaper, let due = nextReap, clock.now() >= due else { return }
        var deleted = 0
        var failure: (any Error)?
        do { deleted = try await reaper.reapDrained() } catch { failure = error }
        nextReap = clock.now().addingTimeInterval(drainReapInterval)
        for o in observers { o.drainReaped(deleted: deleted, error: failure) }
    }

    /// The scheduler's action, waking up no later than the next reap.
    private func withReapDeadline(_ action: SyncAction) -> SyncAction {
        guard reaper != nil, let due = nextReap else { return action }
        switch action {
        case .wait(let until): return .wait(until: min(until, due))
        case .idle: return .wait(until: due)
        case .sync: return action
        }
    }

    /// Syncs whenever due until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let action = await step()
            switch action {
            case .wait(let deadline): await waitForWakeup(deadline: deadline)
            case .idle, .sync: await waitForWakeup(deadline: nil)
            }
        }
        timer?.task.cancel()
        timer = nil
    }

    // MARK: - Sync

    private func sync(_ requested: SyncKind) async -> Bool {
        let started = clock.now()
        let changes = tracker.commit()
        unappliedServices.formUnion(changes.changedServices)
        unappliedNodeChange = unappliedNodeChange || changes.nodeChanged
        pendingRefs.removeAll(keepingCapacity: true)
        status.pendingServiceChanges = 0
        status.pendingEndpointChanges = 0
        let queuedBefore = status.oldestPendingQueuedTime
        status.oldestPendingQueuedTime = nil
        let triggers = pendingTriggers
        pendingTriggers = [:]
        let state = changes.state

        var record = SyncRecord(requested: requested, kind: requested, started: started, finished: started, success: false)
        record.oldestQueued = queuedBefore
        var diff: StateDiff?
        if requested == .incremental, let old = lastApplied {
            let d = StateDiff.between(old: old, new: state, services: unappliedServices, nodeChanged: unappliedNodeChange)
            if !d.requiresFullSync { diff = d }
        }
        do {
            if let diff {
                record.kind = .incremental
                record.diff = diff
                record.portsAdded = diff.added.count
                record.portsRemoved = diff.removed.count
                record.portsChanged = diff.changed.count
                if !diff.isEmpty { record.report = try await applier.applyIncremental(diff, state: state) }
            } else {
                record.kind = .full
                record.report = try await applier.applyFull(state)
            }
            record.success = true
        } catch {
            record.error = String(describing: error)
        }
        record.finished = clock.now()
        finish(&record, state: state, queuedBefore: queuedBefore, triggers: triggers)
        return record.success
    }

    private func finish(_ record: inout SyncRecord, state: ProxyState, queuedBefore: Date?, triggers: [ObjectRef: [Date]]) {
        if record.kind == .full { status.fullSyncs += 1 } else { status.incrementalSyncs += 1 }
        if record.success {
            lastApplied = state
            record.applied = state
            if nextReap == nil { nextReap = record.finished.addingTimeInterval(drainReapInterval) }
            unappliedServices.removeAll(keepingCapacity: true)
            unappliedNodeChange = false
            status.lastSyncTime = record.finished
            status.consecutiveFailures = 0
            status.lastError = nil
            record.networkProgrammingLatencies = triggers.values.flatMap { $0 }
                .filter { $0 >= startTime }
                .map { max(0, record.finished.timeIntervalSince($0)) }
                .sorted()
        } else {
            status.failedSyncs += 1
            status.consecutiveFailures += 1
            status.lastError = record.error
            status.oldestPendingQueuedTime = [queuedBefore, status.oldestPendingQueuedTime].compactMap { $0 }.min()
            for (ref, dates) in triggers { mergeTriggers(dates, for: ref) }
        }
        for o in observers { o.syncCompleted(record, status: status) }
    }

    // MARK: - Bookkeeping

    private func countChanges(_ events: [ObjectEvent], at now: Date) {
        var queued = false
        for event in events {
            let ref: ObjectRef
            switch event {
            case .upsert(let object): ref = object.ref
            case .delete(let r): ref = r
            }
            switch ref.kind {
            case .service: status.serviceChangesTotal += 1
            case .endpointSlice: status.endpointChangesTotal += 1
            case .node: break
            }
            if pendingRefs.insert(ref).inserted {
                if ref.kind == .service { status.pendingServiceChanges += 1 }
                if ref.kind == .endpointSlice { status.pendingEndpointChanges += 1 }
            }
            queued = true
        }
        if queued {
            status.lastQueuedTime = now
            if status.oldestPendingQueuedTime == nil { status.oldestPendingQueuedTime = now }
        }
    }

    private func recordTriggers(_ times: [ObjectRef: Date]) {
        for (ref, date) in times { mergeTriggers([date], for: ref) }
    }

    private func mergeTriggers(_ dates: [Date], for ref: ObjectRef) {
        var list = pendingTriggers[ref, default: []]
        for d in dates where !list.contains(d) { list.append(d) }
        list.sort()
        if list.count > Self.maxTriggersPerSlice { list.removeLast(list.count - Self.maxTriggersPerSlice) }
        pendingTriggers[ref] = list
    }

    private func publishStatus() {
        for o in observers { o.statusChanged(status) }
    }

    // MARK: - Waiting

    private func wake() {
        if let w = waiter {
            waiter = nil
            w.resume()
        } else {
            wakeupPending = true
        }
    }

    private func waitForWakeup(deadline: Date?) async {
        if wakeupPending { wakeupPending = false; return }
        armTimer(deadline)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                if wakeupPending || Task.isCancelled { wakeupPending = false; c.resume() } else { waiter = c }
            }
        } onCancel: {
            Task { [weak self] in await self?.wake() }
        }
    }

    /// Keeps one timer task for `deadline` (none for nil). The timer survives wake-ups by input, so
    /// a burst of events does not create (and cancel) a sleeping task each; only a timer that ran to
    /// its deadline wakes the engine — a cancelled one must not, or two timers would keep waking
    /// each other.
    private func armTimer(_ deadline: Date?) {
        if timer?.deadline == deadline { return }
        timer?.task.cancel()
        timer = nil
        guard let deadline else { return }
        let clock = self.clock
        let task = Task { [weak self] in
            do { try await clock.sleep(until: deadline) } catch { return }
            await self?.timerFired(deadline)
        }
        timer = (deadline, task)
    }

    private func timerFired(_ deadline: Date) {
        if timer?.deadline == deadline { timer = nil }
        wake()
    }
}
