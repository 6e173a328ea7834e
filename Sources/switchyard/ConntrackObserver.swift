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
struct ConntrackObserver: SyncObserver {
    private let continuation: AsyncStream<(ProxyState, SyncKind)>.Continuation

    /// Starts the worker; returns nil (after a warning) when conntrack cannot be reached.
    init?(logger: Logger) {
        let cleaner: ConntrackCleaner
        do { cleaner = try ConntrackCleaner() } catch {
            logger.warning("conntrack cleanup disabled", metadata: ["error": "\(error)"])
            return nil
        }
        let (stream, continuation) = AsyncStream<(ProxyState, SyncKind)>.makeStream(bufferingPolicy: .unbounded)
        self.continuation = continuation
        Task.detached {
            var last: ProxyState?
            for await (state, kind) in stream {
                let deletions: [ConntrackDeletion]
                if let previous = last, kind == .incremental {
                    deletions = ConntrackPlan.forDiff(StateDiff.full(old: previous, new: state))
                } else {
                    deletions = ConntrackPlan.forFullSync(old: last ?? ProxyState(config: state.config), new: state)
                }
                last = state
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
        continuation.yield((applied, record.kind))
    }
}
