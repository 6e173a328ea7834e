#if canImport(CMalloc)
import CMalloc
#endif
import Foundation

/// The daemon's own memory: resident size, glibc heap statistics, and the two glibc knobs that keep
/// a long-running process small (fewer malloc arenas; giving freed pages back after a big sync).
enum ProcessMemory {
    /// Resident set size in bytes (`/proc/self/statm`), nil when unreadable.
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// glibc's heap: bytes in use by live allocations and bytes free inside the heap (not returned).
    static func heap() -> (inUse: Int, free: Int)? {
        #if canImport(CMalloc)
        var inUse = 0, free = 0
        sy_malloc_heap(&inUse, &free)
        return (inUse, free)
        #else
        return nil
        #endif
    }

    /// Caps glibc's malloc arenas (default 8 × cores): every thread that ever allocates otherwise
    /// can get its own arena, whose freed memory no other thread reuses. Call before the threads
    /// start. `MALLOC_ARENA_MAX` in the environment wins.
    static func limitArenas(to count: Int32) {
        #if canImport(CMalloc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        _ = sy_malloc_limit_arenas(count)
        #endif
    }

    /// Returns free heap pages to the kernel (`malloc_trim(0)`, every arena); used after full syncs,
    /// whose transient render and decode buffers would otherwise stay resident.
    static func trim() {
        #if canImport(CMalloc)
        _ = sy_malloc_trim()
        #endif
    }

    /// "123.4" (MiB) for logs.
    static func mebibytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

    /// Log metadata: rss, heap in use and heap free, in MiB.
    static func snapshot() -> [String: String] {
        var out: [String: String] = [:]
        if let rss = residentBytes() { out["rss_mib"] = mebibytes(rss) }
        if let h = heap() { out["heap_used_mib"] = mebibytes(h.inUse); out["heap_free_mib"] = mebibytes(h.free) }
        return out
    }
}
