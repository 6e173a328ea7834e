import Apply
import Diff
import Foundation
import KubeClient
import KubeObjects
import Logging
import Model
import Sync
import Synthetic
import TestAPIServer

/// Network-programming latency: from an EndpointSlice write to the test API server until the
/// backend's applier returned with the change committed to the kernel, through the daemon's own
/// watch path (`KubeAPIClient` → `ClusterWatcher` → `SyncEngine` → applier). The engine runs with
/// `minSyncPeriod` 0 (one change at a time, so nothing waits for the rate limit).
///
/// The API server is in-process on 127.0.0.1 (plain HTTP); the applier programs the bench's
/// throwaway namespace.
struct NetworkProgrammingLatency: Sendable {
    let objects: [KubeObject]
    let nodeConfig: NodeConfig
    let runs: Int

    /// Returns one latency (seconds) per measured change.
    func measure(applier: any ProxyApplier, changes: inout any ChangeStream) async throws -> [Double] {
        let server = TestAPIServer(bookmarkInterval: .seconds(60), historyLimit: max(200_000, objects.count * 2 + runs * 4))
        var mirror = ProxyStateTracker(config: nodeConfig)
        for object in objects { try server.create(object) }
        _ = mirror.apply(objects.map { .upsert($0) })
        let expectedFull = mirror.commit().state

        let url = try await server.start()
        let quiet = Logger(label: "switchyard.bench.npl") { _ in SwiftLogNoOpLogHandler() }
        let client = try KubeAPIClient(config: KubeClientConfig(server: url), logger: quiet)
        let watch = AppliedStates()
        let engine = SyncEngine(config: nodeConfig, applier: NotifyingApplier(inner: applier, watch: watch),
                                schedule: SyncSchedule(minSyncPeriod: 0, syncPeriod: 3600))
        let watcher = ClusterWatcher(client: client, nodeName: nodeConfig.nodeName, logger: quiet)
        let services = expectedFull.services
        let initial = watch.expect { $0.services == services }
        let engineTask = Task { await engine.run() }
        let sourceTask = Task {
            for await update in watcher.updates() {
                await engine.ingest(update.events, synced: update.synced, triggerTimes: update.lastChangeTriggerTimes)
            }
        }
        defer { sourceTask.cancel(); engineTask.cancel() }

        var samples: [Double] = []
        do {
            // The initial listing and full sync.
            guard await watch.wait(initial, timeout: .seconds(600)) != nil else {
                throw BenchError("npl: the initial sync through the test API server did not arrive within 600 s")
            }
            var attempts = 0
            while samples.count < runs, attempts < runs * 10 {
                attempts += 1
                let events = changes.nextChange()
                _ = mirror.apply(events)
                let ch = mirror.commit()
                guard let name = ch.changedServices.first, ch.changedServices.count == 1 else { continue }
                let expected = ch.state.services[name]
                guard expected != ch.previous.services[name] else { continue }   // no visible change: no sync
                let ticket = watch.expect { $0.services[name] == expected }
                let start = ContinuousClock.now
                for case .upsert(var object) in events {
                    if case .endpointSlice(var slice) = object { slice.metadata.resourceVersion = nil; object = .endpointSlice(slice) }
                    try server.update(object)
                }
                guard let done = await watch.wait(ticket, timeout: .seconds(30)) else {
                    throw BenchError("npl: the change to \(name) was not applied within 30 s")
                }
                samples.append((done - start).seconds)
            }
        } catch {
            await shutdown(sourceTask, engineTask, client, server)
            throw error
        }
        await shutdown(sourceTask, engineTask, client, server)
        return samples
    }

    private func shutdown(_ source: Task<Void, Never>, _ engine: Task<Void, Never>, _ client: KubeAPIClient, _ server: TestAPIServer) async {
        source.cancel(); engine.cancel()
        await engine.value
        // An aborted watch can hold the HTTP client's shutdown for a while; do not wait on it.
        Task { try? await client.shutdown() }
        await server.stop()
    }
}

/// Wraps an applier and reports every successfully applied state, with the time it returned.
struct NotifyingApplier: ProxyApplier {
    let inner: any ProxyApplier
    let watch: AppliedStates
    var name: String { inner.name }

    func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        let report = try await inner.applyFull(state)
        watch.applied(state)
        return report
    }

    func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        let report = try await inner.applyIncremental(diff, state: state)
        watch.applied(state)
        return report
    }

    func cleanup() async throws { try await inner.cleanup() }
}

/// Waiters for an applied state that satisfies a predicate. Register (`expect`) before causing
/// the change, so an apply that beats the waiter is not missed.
final class AppliedStates: @unchecked Sendable {
    struct Ticket: Hashable { let id: Int }
    private struct Waiter {
        let predicate: @Sendable (ProxyState) -> Bool
        var done: ContinuousClock.Instant?
        var continuation: CheckedContinuation<ContinuousClock.Instant?, Never>?
    }
    private let lock = NSLock()
    private var waiters: [Int: Waiter] = [:]
    private var nextID = 0

    func expect(_ predicate: @escaping @Sendable (ProxyState) -> Bool) -> Ticket {
        lock.withLock { nextID += 1; waiters[nextID] = Waiter(predicate: predicate); return Ticket(id: nextID) }
    }

    func applied(_ state: ProxyState) {
        let now = ContinuousClock.now
        let resume: [CheckedContinuation<ContinuousClock.Instant?, Never>] = lock.withLock {
            var out: [CheckedContinuation<ContinuousClock.Instant?, Never>] = []
            for (id, w) in waiters where w.done == nil && w.predicate(state) {
                if let c = w.continuation { out.append(c); waiters[id] = nil } else { waiters[id]?.done = now }
            }
            return out
        }
        for c in resume { c.resume(returning: now) }
    }

    /// Waits until a registered expectation is met; its time, or nil after `timeout`.
    func wait(_ ticket: Ticket, timeout: Duration) async -> ContinuousClock.Instant? {
        let timer = Task { try? await Task.sleep(for: timeout); self.expire(ticket) }
        defer { timer.cancel() }
        return await withCheckedContinuation { c in
            let ready: ContinuousClock.Instant?? = lock.withLock {
                guard let w = waiters[ticket.id] else { return .some(nil) }   // already expired
                if let done = w.done { waiters[ticket.id] = nil; return .some(done) }
                waiters[ticket.id]?.continuation = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    private func expire(_ ticket: Ticket) {
        let c: CheckedContinuation<ContinuousClock.Instant?, Never>? = lock.withLock {
            guard let w = waiters[ticket.id] else { return nil }
            if w.continuation != nil { waiters[ticket.id] = nil; return w.continuation }
            waiters[ticket.id] = nil   // expired before anyone waited
            return nil
        }
        c?.resume(returning: nil)
    }
}
