import Apply
import Diff
import Foundation
import Model

/// A snapshot of the engine for health checks and metrics.
public struct SyncStatus: Hashable, Sendable {
    /// The source delivered its initial listing.
    public var sourceSynced = false
    /// End of the last successful sync (kube-proxy's `lastUpdated`); nil before the first.
    public var lastSyncTime: Date?
    /// The last time changes were queued (kube-proxy's last queued timestamp).
    public var lastQueuedTime: Date?
    /// The earliest queued change not yet applied successfully; nil when everything queued is applied.
    public var oldestPendingQueuedTime: Date?
    /// Distinct Services / EndpointSlices changed since the last sync started.
    public var pendingServiceChanges = 0
    public var pendingEndpointChanges = 0
    /// Service / EndpointSlice events ever received.
    public var serviceChangesTotal = 0
    public var endpointChangesTotal = 0
    /// Sync attempts by outcome and kind (a skipped empty incremental sync counts as incremental).
    public var fullSyncs = 0
    public var incrementalSyncs = 0
    public var failedSyncs = 0
    public var consecutiveFailures = 0
    /// The last apply error, cleared by a successful sync.
    public var lastError: String?

    public init() {}
}

/// What one sync attempt did; handed to every `SyncObserver`.
public struct SyncRecord: Sendable {
    /// The kind the scheduler asked for.
    public var requested: SyncKind
    /// The kind applied: full when requested, on the first sync, or when the diff requires it.
    public var kind: SyncKind
    public var started: Date
    public var finished: Date
    public var success: Bool
    /// The error's description when the apply failed.
    public var error: String?
    /// The applier's report; nil on failure or when an incremental diff was empty (no call made).
    public var report: ApplyReport?
    /// Port-level size of the diff (incremental syncs); zero for full syncs.
    public var portsAdded = 0
    public var portsRemoved = 0
    public var portsChanged = 0
    /// When the oldest change this sync applies reached the engine (`ingest`); nil when it applies
    /// none (periodic sync without changes).
    public var oldestQueued: Date?
    /// now − `endpoints.kubernetes.io/last-change-trigger-time` for the slices this sync applied (seconds).
    public var networkProgrammingLatencies: [Double] = []
    /// The state now applied; nil when the sync failed (the previous state stays applied).
    public var applied: ProxyState?
    /// The diff an incremental sync applied (empty when nothing changed), so observers can follow
    /// the change in O(change) instead of comparing whole states; nil for full syncs.
    public var diff: StateDiff?

    /// Wall time the sync took (seconds).
    public var duration: Double { finished.timeIntervalSince(started) }

    public init(requested: SyncKind, kind: SyncKind, started: Date, finished: Date, success: Bool) {
        self.requested = requested; self.kind = kind; self.started = started; self.finished = finished
        self.success = success
    }
}

/// Receives engine events. Called synchronously on the engine's actor: keep it cheap and non-blocking.
public protocol SyncObserver: Sendable {
    /// After every change of `SyncStatus` (events ingested, sync finished).
    func statusChanged(_ status: SyncStatus)
    /// After every sync attempt.
    func syncCompleted(_ record: SyncRecord, status: SyncStatus)
    /// After the engine asked a `DrainReaper` applier to delete drained real servers: how many
    /// went, or the error. Default: ignored.
    func drainReaped(deleted: Int, error: (any Error)?)
}

extension SyncObserver {
    public func drainReaped(deleted: Int, error: (any Error)?) {}
}
