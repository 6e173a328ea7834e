import HashTreeCollections
import KubeObjects
import SwitchyardCore

/// What one `commit` produced: the state before and after, and which services may differ.
public struct ProxyChanges: Sendable {
    public var previous: ProxyState
    public var state: ProxyState
    /// Services whose ports differ between `previous` and `state` (added, removed or changed).
    public var changedServices: Set<ServiceName>
    /// The Node object (zone, addresses) changed: every service may have changed, render in full.
    public var nodeChanged: Bool

    public init(previous: ProxyState, state: ProxyState, changedServices: Set<ServiceName>, nodeChanged: Bool) {
        self.previous = previous; self.state = state; self.changedServices = changedServices; self.nodeChanged = nodeChanged
    }
}

/// Turns a stream of object events into per-node `ProxyState`s.
///
/// `apply` validates and records objects and marks the services they touch; `commit` recomputes
/// only those services, so the cost of a sync follows what changed, not the cluster size.
public struct ProxyStateTracker: Sendable {
    public let config: NodeConfig
    /// The last committed state.
    public private(set) var state: ProxyState

    private var services: [ServiceName: ValidatedService] = [:]
    private var slices: [ObjectRef: ValidatedSlice] = [:]
    private var slicesByService: [ServiceName: Set<ObjectRef>] = [:]
    private var node: NodeInfo
    private var dirty: Set<ServiceName> = []
    private var nodeDirty = false

    public init(config: NodeConfig) {
        self.config = config
        self.node = NodeInfo(name: config.nodeName)
        self.state = ProxyState(config: config)
    }

    /// Records object changes; returns diagnostics for whatever was rejected or skipped.
    @discardableResult
    public mutating func apply(_ events: [ObjectEvent]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        // Validation is a pure function of each object: for a large batch (a first list) it runs
        // on every core, and only the recording below is sequential, in event order.
        let config = self.config
        var intakes: [Intake] = events.count < 2 * Self.parallelBatch ? [] : ParallelMap.map(events, minimumChunk: Self.parallelBatch) {
            Intake($0, config: config)
        }
        if intakes.isEmpty {
            for e in events { out.append(contentsOf: apply(e)) }
            return out
        }
        reserve(for: intakes)
        for i in events.indices {
            // Moved out of the array (no copy of every validated object, no release of it later).
            var intake = Intake.none
            swap(&intake, &intakes[i])
            if case .none = intake {
                out.append(contentsOf: apply(events[i]))
            } else {
                out.append(contentsOf: record(intake))
            }
        }
        return out
    }

    /// Batches smaller than twice this are validated and computed on the calling thread.
    static let parallelBatch = 512

    /// A validated service or slice, computed ahead of recording.
    private enum Intake: Sendable {
        case service(ServiceName, ServiceIntake)
        case slice(ObjectRef, SliceIntake)
        case none

        init(_ e: ObjectEvent, config: NodeConfig) {
            switch e {
            case .upsert(.service(let s)): self = .service(ProxyStateTracker.name(of: s), ServiceValidation.intake(s, config: config))
            case .upsert(.endpointSlice(let e)): self = .slice(ProxyStateTracker.ref(of: e), SliceValidation.intake(e))
            default: self = .none
            }
        }
    }

    /// Grows the maps once for a large batch (a first list) instead of rehashing as they fill.
    private mutating func reserve(for intakes: [Intake]) {
        var serviceCount = 0, sliceCount = 0
        for i in intakes {
            switch i {
            case .service: serviceCount += 1
            case .slice: sliceCount += 1
            case .none: break
            }
        }
        services.reserveCapacity(services.count + serviceCount)
        slices.reserveCapacity(slices.count + sliceCount)
        slicesByService.reserveCapacity(slicesByService.count + min(serviceCount, sliceCount))
        dirty.reserveCapacity(dirty.count + serviceCount)
    }

    /// Records a service or slice intake (`.none` records nothing).
    private mutating func record(_ intake: consuming Intake) -> [Diagnostic] {
        switch consume intake {
        case .service(let name, let i): return record(service: name, i)
        case .slice(let ref, let i): return record(slice: ref, i)
        case .none: return []
        }
    }

    /// Records one object change. A rejected object is treated as absent (its previous version is removed).
    @discardableResult
    public mutating func apply(_ event: ObjectEvent) -> [Diagnostic] {
        switch event {
        case .upsert(.service(let s)): return upsertService(s)
        case .upsert(.endpointSlice(let e)): return upsertSlice(e)
        case .upsert(.node(let n)): return upsertNode(n)
        case .delete(let ref): delete(ref); return []
        }
    }

    /// Services touched since the last commit (for metrics: pending service changes).
    public var pendingServices: Int { dirty.count }

    /// Recomputes the touched services (all of them when the node changed) and returns the result.
    public mutating func commit() -> ProxyChanges {
        let previous = state
        var next = state
        let nodeChanged = nodeDirty
        if nodeChanged {
            next.node = node
            dirty.formUnion(services.keys)
            dirty.formUnion(state.services.keys)
        }
        var changed = Set<ServiceName>()
        if dirty.count < 2 * Self.parallelBatch {
            for name in dirty {
                let new = computeService(name)
                if previous.services[name] != new {
                    next.services[name] = new
                    changed.insert(name)
                }
            }
        } else {
            // Each service is a pure function of the recorded objects: compute them on every
            // core, then insert them into the persistent map here.
            let tracker = self
            let names = Array(dirty)
            let computed = ParallelMap.map(names, minimumChunk: Self.parallelBatch) { name -> ServiceState?? in
                let new = tracker.computeService(name)
                return previous.services[name] != new ? .some(new) : .none
            }
            changed.reserveCapacity(names.count)
            for (name, result) in zip(names, computed) {
                guard let new = result else { continue }
                next.services[name] = new
                changed.insert(name)
            }
        }
        dirty.removeAll(keepingCapacity: true)
        nodeDirty = false
        state = next
        return ProxyChanges(previous: previous, state: next, changedServices: changed, nodeChanged: nodeChanged)
    }

    // MARK: - Recording

    private static func name(of s: Service) -> ServiceName {
        ServiceName(namespace: NameValidation.effectiveNamespace(s.metadata.namespace), name: s.metadata.name ?? "")
    }

    private static func ref(of e: EndpointSlice) -> ObjectRef {
        ObjectRef(kind: .endpointSlice, namespace: NameValidation.effectiveNamespace(e.metadata.namespace), name: e.metadata.name ?? "")
    }

    private mutating func upsertService(_ s: Service) -> [Diagnostic] {
        record(service: Self.name(of: s), ServiceValidation.intake(s, config: config))
    }

    private mutating func record(service name: ServiceName, _ intake: consuming ServiceIntake) -> [Diagnostic] {
        switch consume intake {
        case .handled(let v):
            // One lookup: storing an equal value changes nothing.
            if services.updateValue(v, forKey: name) != v { dirty.insert(name) }
            return []
        case .ignored:
            removeService(name)
            return []
        case .rejected(let d):
            removeService(name)
            return [d]
        }
    }

    private mutating func removeService(_ name: ServiceName) {
        if services.removeValue(forKey: name) != nil { dirty.insert(name) }
    }

    private mutating func upsertSlice(_ e: EndpointSlice) -> [Diagnostic] {
        record(slice: Self.ref(of: e), SliceValidation.intake(e))
    }

    private mutating func record(slice ref: ObjectRef, _ intake: SliceIntake) -> [Diagnostic] {
        if let slice = intake.slice {
            let old = slices.updateValue(slice, forKey: ref)
            if let old, old.service != slice.service { unindex(ref, from: old.service) }
            if old != slice {
                slicesByService[slice.service, default: []].insert(ref)
                dirty.insert(slice.service)
            }
        } else {
            removeSlice(ref)
        }
        return intake.diagnostics
    }

    private mutating func removeSlice(_ ref: ObjectRef) {
        guard let old = slices.removeValue(forKey: ref) else { return }
        unindex(ref, from: old.service)
    }

    private mutating func unindex(_ ref: ObjectRef, from service: ServiceName) {
        slicesByService[service]?.remove(ref)
        if slicesByService[service]?.isEmpty == true { slicesByService[service] = nil }
        dirty.insert(service)
    }

    private mutating func upsertNode(_ n: Node) -> [Diagnostic] {
        guard n.metadata.name == config.nodeName else { return [] }
        let (info, diagnostics) = NodeIntake.info(n, name: config.nodeName)
        setNode(info)
        return diagnostics
    }

    private mutating func setNode(_ info: NodeInfo) {
        if info != node { node = info; nodeDirty = true }
    }

    private mutating func delete(_ ref: ObjectRef) {
        switch ref.kind {
        case .service:
            removeService(ServiceName(namespace: NameValidation.effectiveNamespace(ref.namespace), name: ref.name))
        case .endpointSlice:
            removeSlice(ObjectRef(kind: .endpointSlice, namespace: NameValidation.effectiveNamespace(ref.namespace), name: ref.name))
        case .node:
            if ref.name == config.nodeName { setNode(NodeInfo(name: config.nodeName)) }
        }
    }

    // MARK: - Computing

    /// The service's state, or nil when it is absent, unhandled or has no ports in a proxied family.
    private func computeService(_ name: ServiceName) -> ServiceState? {
        guard let svc = services[name] else { return nil }
        let refs = slicesByService[name] ?? []
        // Slice order only breaks ties between equally good duplicates; keep it deterministic.
        let joined = refs.count < 2 ? refs.compactMap { slices[$0] } : refs.sorted().compactMap { slices[$0] }
        let ports = ServicePortBuilder.build(svc, slices: joined, node: node, config: config)
        return ports.isEmpty ? nil : ServiceState(name: name, ports: ports)
    }
}
