import Foundation
import KubeObjects
import Logging
import SwitchyardCore

/// A batch of changes from the API server, ready for `ProxyStateTracker.apply`.
public struct WatchUpdate: Sendable, Equatable {
    public var events: [ObjectEvent]
    public var diagnostics: [Diagnostic]
    /// True once Services, EndpointSlices and the Node have all completed their first LIST; until then
    /// the view is partial and must not be synced.
    public var synced: Bool
    /// `endpoints.kubernetes.io/last-change-trigger-time` of the slices upserted in this batch.
    public var lastChangeTriggerTimes: [ObjectRef: Date]

    public init(events: [ObjectEvent], diagnostics: [Diagnostic], synced: Bool, lastChangeTriggerTimes: [ObjectRef: Date]) {
        self.events = events; self.diagnostics = diagnostics; self.synced = synced
        self.lastChangeTriggerTimes = lastChangeTriggerTimes
    }

    /// The annotation the EndpointSlice controller stamps with the time of the triggering change.
    public static let triggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"
}

/// Watches Services, EndpointSlices and this Node and merges them into one stream of `WatchUpdate`s.
public struct ClusterWatcher: Sendable {
    public let watchers: [ResourceWatcher]

    /// `nodeName`: the node this proxy runs on; `proxyName`: the `service-proxy-name` this proxy answers to.
    public init(client: KubeAPIClient, nodeName: String, proxyName: String? = nil, options: WatchOptions = WatchOptions(),
                logger: Logger = Logger(label: "switchyard.watch")) {
        self.init(watchers: [.services(proxyName: proxyName), .endpointSlices, .node(nodeName)].map {
            ResourceWatcher(client: client, resource: $0, options: options, logger: logger)
        })
    }

    /// Combines arbitrary watchers (`synced` waits for all of them).
    public init(watchers: [ResourceWatcher]) { self.watchers = watchers }

    /// Starts the watchers; they stop when the consumer of the stream goes away.
    public func updates() -> AsyncStream<WatchUpdate> {
        let (stream, continuation) = AsyncStream<WatchUpdate>.makeStream()
        let tracker = SyncTracker(expected: watchers.count)
        let watchers = self.watchers
        let task = Task {
            await withDiscardingTaskGroup { group in
                for (index, watcher) in watchers.enumerated() {
                    group.addTask {
                        await watcher.run { update in tracker.merge(update, from: index) { continuation.yield($0) } }
                    }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Parses an RFC 3339 timestamp with optional fractional seconds (up to nanoseconds).
    public static func parseTriggerTime(_ text: String) -> Date? {
        var whole = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let rest = text[text.index(after: dot)...]
            let digits = rest.prefix { $0.isNumber }
            guard !digits.isEmpty else { return nil }
            fraction = Double("0." + digits) ?? 0
            whole = String(text[..<dot]) + String(rest.dropFirst(digits.count))
        }
        guard let base = try? Date.ISO8601FormatStyle().parse(whole) else { return nil }
        return base.addingTimeInterval(fraction)
    }
}

/// Tracks which watchers have listed and stamps each update with `synced` and trigger times.
final class SyncTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var listed: Set<Int> = []
    private let expected: Int
    private var announcedSync = false

    init(expected: Int) { self.expected = expected }

    /// Stamps `update` and hands it to `deliver` unless it is empty. Stamping and delivery happen
    /// under one lock, so the update that makes the view `synced` is delivered after every update
    /// that was stamped before it (the last page of another resource's LIST included).
    func merge(_ update: ResourceUpdate, from index: Int, deliver: (WatchUpdate) -> Void) {
        let times = Self.triggerTimes(update.events)
        lock.withLock {
            if update.listed { listed.insert(index) }
            let synced = listed.count >= expected
            let becameSynced = synced && !announcedSync
            if synced { announcedSync = true }
            guard !update.events.isEmpty || !update.diagnostics.isEmpty || becameSynced else { return }
            deliver(WatchUpdate(events: update.events, diagnostics: update.diagnostics, synced: synced, lastChangeTriggerTimes: times))
        }
    }

    /// `last-change-trigger-time` of the upserted slices.
    private static func triggerTimes(_ events: [ObjectEvent]) -> [ObjectRef: Date] {
        var times: [ObjectRef: Date] = [:]
        for case .upsert(.endpointSlice(let slice)) in events {
            if let text = slice.metadata.annotations?[WatchUpdate.triggerTimeAnnotation],
               let date = ClusterWatcher.parseTriggerTime(text) {
                times[KubeObject.endpointSlice(slice).ref] = date
            }
        }
        return times
    }
}
