import Apply
import Diff
import Foundation
import KubeObjects
import Model
import SwitchyardCore
@testable import Sync

/// A clock the test moves by hand.
final class ManualClock: SyncClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_000_000)) { current = start }
    func now() -> Date { lock.withLock { current } }
    func advance(_ seconds: Double) { lock.withLock { current = current.addingTimeInterval(seconds) } }
    func set(_ date: Date) { lock.withLock { current = date } }
    func sleep(until deadline: Date) async throws {
        while now() < deadline { try await Task.sleep(nanoseconds: 1_000_000) }
    }
}

/// An applier that records every call, can fail on demand, and rebuilds what the backend would hold.
final class FakeApplier: ProxyApplier, @unchecked Sendable {
    enum Call { case full(ProxyState), incremental(StateDiff, ProxyState) }
    struct Failure: Error, CustomStringConvertible { var description: String { "injected failure" } }

    let name = "fake"
    private let lock = NSLock()
    private var _calls: [Call] = []
    private var _failures = 0
    private var _failWhen: (@Sendable (Int) -> Bool)?
    private var _held: ProxyState?
    /// Seconds the clock advances during each apply.
    let clock: ManualClock?
    let applyTime: Double

    init(clock: ManualClock? = nil, applyTime: Double = 0) { self.clock = clock; self.applyTime = applyTime }

    var calls: [Call] { lock.withLock { _calls } }
    /// What the kernel holds: full = replace, incremental = apply the diff; unchanged by a failed call.
    var held: ProxyState? { lock.withLock { _held } }
    /// Fails the next `n` calls.
    func failNext(_ n: Int) { lock.withLock { _failures = n } }
    /// Fails call number `i` (0-based) when the predicate says so.
    func fail(when predicate: @escaping @Sendable (Int) -> Bool) { lock.withLock { _failWhen = predicate } }

    func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        try record(.full(state)) { _ in state }
        return ApplyReport(full: true, rulesWritten: state.counts.ports, elementsWritten: state.counts.endpoints, bytes: 1)
    }

    func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        precondition(!diff.requiresFullSync && !diff.isEmpty)
        try record(.incremental(diff, state)) { held in
            guard let held else { preconditionFailure("incremental apply before any full apply") }
            return Self.applying(diff, to: held, config: state.config, node: state.node)
        }
        return ApplyReport(full: false, rulesWritten: diff.count, bytes: 1)
    }

    func cleanup() async throws { lock.withLock { _held = nil } }

    private func record(_ call: Call, update: (ProxyState?) -> ProxyState) throws {
        clock?.advance(applyTime)
        try lock.withLock {
            let index = _calls.count
            _calls.append(call)
            if _failures > 0 { _failures -= 1; throw Failure() }
            if _failWhen?(index) == true { throw Failure() }
            _held = update(_held)
        }
    }

    /// Applies a diff port by port, independently of the engine's own code.
    static func applying(_ diff: StateDiff, to state: ProxyState, config: NodeConfig, node: NodeInfo) -> ProxyState {
        var ports: [ServicePortKey: ServicePort] = [:]
        for (_, svc) in state.services { for p in svc.ports { ports[p.key] = p } }
        for p in diff.removed { ports[p.key] = nil }
        for c in diff.changed { ports[c.old.key] = nil; ports[c.new.key] = c.new }
        for p in diff.added { ports[p.key] = p }
        var grouped: [ServiceName: [ServicePort]] = [:]
        for p in ports.values { grouped[p.key.service, default: []].append(p) }
        var out = ProxyState(config: config, node: node)
        for (name, list) in grouped { out.services[name] = ServiceState(name: name, ports: list) }
        return out
    }
}

/// Builders for objects.
enum Obj {
    static let config = NodeConfig(nodeName: "node-a")

    static func service(_ name: String, ip: String = "10.96.0.10", port: Int = 80, namespace: String = "default",
                        edit: (inout ServiceSpec) -> Void = { _ in }) -> ObjectEvent {
        var spec = ServiceSpec(clusterIP: ip, clusterIPs: [ip], ports: [ServicePortSpec(name: "http", protocol: "TCP", port: port)])
        edit(&spec)
        return .upsert(.service(Service(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)))
    }

    static func slice(_ name: String, service: String, ips: [String], node: String? = nil, namespace: String = "default",
                      annotations: [String: String]? = nil) -> ObjectEvent {
        .upsert(.endpointSlice(EndpointSlice(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: [EndpointSlice.serviceNameLabel: service],
                                 annotations: annotations),
            addressType: "IPv4",
            endpoints: ips.map { EndpointSpec(addresses: [$0], conditions: EndpointConditions(ready: true), nodeName: node) },
            ports: [EndpointPortSpec(name: "http", protocol: "TCP", port: 8080)])))
    }

    static func deleteService(_ name: String, namespace: String = "default") -> ObjectEvent {
        .delete(ObjectRef(kind: .service, namespace: namespace, name: name))
    }

    static func deleteSlice(_ name: String, namespace: String = "default") -> ObjectEvent {
        .delete(ObjectRef(kind: .endpointSlice, namespace: namespace, name: name))
    }

    static func sliceRef(_ name: String, namespace: String = "default") -> ObjectRef {
        ObjectRef(kind: .endpointSlice, namespace: namespace, name: name)
    }

    /// What the objects demand: a fresh tracker fed `events` and committed once.
    static func expectedState(_ events: [ObjectEvent], config: NodeConfig = config) -> ProxyState {
        var t = ProxyStateTracker(config: config)
        t.apply(events)
        return t.commit().state
    }
}

/// Collects what the engine reports.
final class RecordingObserver: SyncObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _records: [SyncRecord] = []
    private var _statuses: [SyncStatus] = []
    var records: [SyncRecord] { lock.withLock { _records } }
    var statuses: [SyncStatus] { lock.withLock { _statuses } }
    func statusChanged(_ status: SyncStatus) { lock.withLock { _statuses.append(status) } }
    func syncCompleted(_ record: SyncRecord, status: SyncStatus) { lock.withLock { _records.append(record); _statuses.append(status) } }
}
