import Foundation
import Logging
import Sync

/// Logs one line per sync attempt: kind, duration, state size, what the backend wrote, and the
/// network-programming latency of the slices it applied (from their last-change-trigger-time).
struct SyncLogObserver: SyncObserver {
    let logger: Logger

    func statusChanged(_ status: SyncStatus) {}

    func syncCompleted(_ record: SyncRecord, status: SyncStatus) {
        var meta: Logger.Metadata = [
            "kind": "\(record.kind.rawValue)",
            "requested": "\(record.requested.rawValue)",
            "duration_ms": "\(Self.ms(record.duration))",
        ]
        if let queued = record.oldestQueued {
            // In-daemon latency: from the oldest change's arrival at the engine to the end of this sync.
            meta["queued_ms"] = "\(Self.ms(record.finished.timeIntervalSince(queued)))"
        }
        if record.kind == .incremental {
            meta["ports_added"] = "\(record.portsAdded)"
            meta["ports_removed"] = "\(record.portsRemoved)"
            meta["ports_changed"] = "\(record.portsChanged)"
        }
        // Counting walks every port: only on full syncs, so incremental syncs stay O(change).
        if let state = record.applied, record.kind == .full {
            let counts = state.counts
            meta["services"] = "\(state.services.count)"
            meta["service_ports"] = "\(counts.ports)"
            meta["endpoints"] = "\(counts.endpoints)"
            if let rss = ProcessMemory.residentBytes() { meta["rss_mib"] = "\(ProcessMemory.mebibytes(rss))" }
        }
        if let report = record.report {
            meta["rules"] = "\(report.rulesWritten)"
            meta["elements"] = "\(report.elementsWritten)"
            meta["bytes"] = "\(report.bytes)"
            meta["kernel_ms"] = "\(Self.ms(report.kernelSeconds))"
            if report.driftRepaired > 0 { meta["drift_repaired"] = "\(report.driftRepaired)" }
        }
        if let latencies = record.networkProgrammingLatencies.sorted().last {
            meta["programming_latency_max_ms"] = "\(Self.ms(latencies))"
            meta["programming_latency_ms"] = .array(record.networkProgrammingLatencies.map { .string(Self.ms($0)) })
        }
        if record.success {
            logger.info("sync done", metadata: meta)
        } else {
            meta["consecutive_failures"] = "\(status.consecutiveFailures)"
            meta["error"] = "\(record.error ?? "unknown")"
            logger.error("sync failed; retrying with a full sync after backoff", metadata: meta)
        }
    }

    func drainReaped(deleted: Int, error: (any Error)?) {
        if let error {
            logger.warning("deleting drained real servers failed", metadata: ["error": "\(error)"])
        } else if deleted > 0 {
            logger.info("drained real servers deleted", metadata: ["count": "\(deleted)"])
        }
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1000) }
}
