import Apply

/// An applier that keeps removed backends draining (IPVS graceful termination: a removed TCP real
/// server stays at weight 0 until its connections end) and must be asked, now and then, to delete
/// the ones that are done.
///
/// `SyncEngine` calls `reapDrained()` when it is due (`SyncEngine.drainReapInterval` after the last
/// call): after a sync and on its own timer while nothing syncs, never while an apply runs, so the
/// applier still sees one call at a time. `IPVSApplier` conforms (in the executable, which owns
/// both modules).
public protocol DrainReaper: ProxyApplier {
    /// Deletes the drained backends that have no connections left or whose grace period ended;
    /// returns how many were deleted.
    func reapDrained() async throws -> Int
}
