import Logging
import Sync

/// After every full sync, gives the heap's free pages back to the kernel: a full sync's render text,
/// transaction and decode buffers are transient, but glibc keeps freed memory resident by default.
/// A trim walks the heap once (milliseconds); incremental syncs allocate little and are left alone.
struct MemoryTrimObserver: SyncObserver {
    let logger: Logger

    func statusChanged(_ status: SyncStatus) {}

    func syncCompleted(_ record: SyncRecord, status: SyncStatus) {
        guard record.kind == .full else { return }
        let before = ProcessMemory.snapshot()
        ProcessMemory.trim()
        var meta: Logger.Metadata = [:]
        for (k, v) in before { meta[k + "_before"] = "\(v)" }
        for (k, v) in ProcessMemory.snapshot() { meta[k] = "\(v)" }
        logger.debug("heap trimmed after full sync", metadata: meta)
    }
}
