import Conntrack
import Diff
import Logging
import Model
import Sync

/// After every successful sync, deletes the UDP/SCTP conntrack entries the change made stale: flows
/// to endpoints that are gone, and flows that hit a REJECT before the service had endpoints
/// (kube-proxy's blackholes #19029, #48370, #139628). The first sync after a start reconciles against
/// the state instead of flushing everything (#122740).
///
/// The work runs on its own task, in sync order, so a conntrack dump never delays the sync engine.
/// An incremental sync is planned from the diff the engine applied (`SyncRecord.diff`), so its cost
/// follows the change, not the cluster size; only full syncs compare whole states.
struct ConntrackObserver: SyncObserver {
    /// What the worker needs from one successful sync.
    private struct Work: Sendable {
        var state: ProxyState
        /// The applied diff (incremental syncs); nil for full syncs.
        var diff: StateDiff?
    }

    private let continuation: AsyncStream<Work>.Continuation

    /// Starts the worker; returns nil (after a warning) when conntrack cannot be reached.
    init?(logger: Logger) {
        let cleaner: ConntrackCleaner
        do { cleaner = try ConntrackCleaner() } catch {
            logger.warning("conntrack cleanup disabled", metadata: ["error": "\(error)"])
            return nil
        }
        let (stream, continuation) = AsyncStream<Work>.makeStream(bufferingPolicy: .unbounded)
        self.continuation = continuation
        Task.detached {
            var last: ProxyState?
            for await work in stream {
                let deletions = ConntrackPlan.forSync(old: last, new: work.state, appliedDiff: work.diff)
                last = work.state
                guard !deletions.isEmpty else { continue }
                do {
                    let removed = try cleaner.apply(deletions)
                    if removed > 0 { logger.info("conntrack entries removed", metadata: ["count": "\(removed)"]) }
                } catch {
                    logger.warning("conntrack cleanup failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    func statusChanged(_ status: SyncStatus) {}

    func syncCompleted(_ record: SyncRecord, status: SyncStatus) {
        guard record.success, let applied = record.applied else { return }
        continuation.yield(Work(state: applied, diff: record.kind == .incremental ? record.diff : nil))
    }
}
