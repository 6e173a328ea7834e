import Foundation
import NIOCore

/// Fault injection for a running `TestAPIServer`. Thread-safe; takes effect on the next request.
public final class ServerFaults: @unchecked Sendable {
    private let lock = NSLock()
    private var delay: Duration = .zero
    private var failures: [(count: Int, status: Int)] = []
    private var goneStatus = false
    private var watchChannels: [Int: Channel] = [:]
    let store: ObjectStore

    init(store: ObjectStore) { self.store = store }

    /// Closes every open watch connection abruptly (no terminating chunk), like a dropped TCP connection.
    public func dropWatches() {
        let channels = lock.withLock { Array(watchChannels.values) }
        for c in channels { c.close(promise: nil) }
    }

    /// Delays every response by `duration` (zero to stop).
    public func setDelay(_ duration: Duration) { lock.withLock { delay = duration } }

    /// Answers the next `count` API requests (not discovery) with `status` (default 500).
    public func failNext(_ count: Int, status: Int = 500) {
        lock.withLock { failures.append((count, status)) }
    }

    /// Forgets the event history now: watches and continue tokens from before this point get 410 Gone.
    public func compactNow() { store.compact() }

    /// When true, a WATCH from a compacted revision gets an HTTP 410 response; when false (the default,
    /// like the watch cache), a 200 stream with one ERROR event carrying a 410 Status.
    public func setGoneAsHTTPStatus(_ on: Bool) { lock.withLock { goneStatus = on } }

    /// Number of watch connections currently open.
    public var openWatchCount: Int { lock.withLock { watchChannels.count } }

    var responseDelay: Duration { lock.withLock { delay } }
    var goneAsHTTPStatus: Bool { lock.withLock { goneStatus } }

    /// Consumes one injected failure, if any is pending.
    func takeFailure() -> Int? {
        lock.withLock {
            guard !failures.isEmpty else { return nil }
            let status = failures[0].status
            failures[0].count -= 1
            if failures[0].count <= 0 { failures.removeFirst() }
            return status
        }
    }

    func registerWatch(_ id: Int, _ channel: Channel) { lock.withLock { watchChannels[id] = channel } }
    func unregisterWatch(_ id: Int) { _ = lock.withLock { watchChannels.removeValue(forKey: id) } }
}
