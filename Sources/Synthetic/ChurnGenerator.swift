import KubeObjects
import SwitchyardCore

/// A deterministic stream of changes against a `SyntheticCluster`, to measure incremental syncs.
///
/// Each call to `nextChange()` makes one logical change and returns the watch events it causes.
/// The generator keeps the changed cluster, so every event refers to an object that exists at
/// that point (deletes name existing objects, endpoint changes upsert an existing slice), and
/// new services never reuse a live ClusterIP or NodePort. Upserted objects get increasing
/// `resourceVersion`s.
public struct ChurnGenerator: Sendable {
    /// What kind of change the stream makes.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// One endpoint of one slice is replaced by a new pod (an empty slice gains one).
        case endpointChange
        /// A new service and its slices are created (mix drawn from the cluster's `ServiceMix`).
        case serviceAdd
        /// A service and its slices are deleted.
        case serviceRemove
        /// 80 % endpoint changes, 10 % adds, 10 % removes.
        case mixed
    }

    public let kind: Kind
    private let nodes: [Node]
    private let mix: ServiceMix
    private let factory: ServiceFactory
    private var addresses: AddressAllocator
    private var rng: SplitMix64
    private var records: [SyntheticService]
    private var nextServiceIndex: Int
    private var version = 1

    /// A stream over `cluster`; `seed` defaults to one derived from the cluster's seed.
    public init(cluster: SyntheticCluster, kind: Kind, seed: UInt64? = nil) {
        self.kind = kind
        nodes = cluster.nodes
        mix = cluster.mix
        factory = cluster.factory
        addresses = cluster.addresses
        rng = seed.map { SplitMix64(seed: $0) } ?? cluster.rng.derived(0xC4_0412)
        records = cluster.records
        nextServiceIndex = cluster.serviceCount
    }

    /// Number of services in the changed cluster.
    public var serviceCount: Int { records.count }

    /// The changed cluster's objects, in the same layout as `SyntheticCluster.objects()`.
    public func objects() -> [KubeObject] {
        var out: [KubeObject] = nodes.map { .node($0) }
        for r in records {
            out.append(.service(r.service))
            for s in r.slices { out.append(.endpointSlice(s)) }
        }
        return out
    }

    /// The events of the next change; empty only when nothing can change (an endpoint change
    /// or removal in a cluster without services).
    public mutating func nextChange() -> [ObjectEvent] {
        switch kind {
        case .endpointChange: return changeEndpoint()
        case .serviceAdd: return addService()
        case .serviceRemove: return removeService()
        case .mixed:
            let r = rng.below(10)
            if r == 0 || records.isEmpty { return addService() }
            return r == 1 ? removeService() : changeEndpoint()
        }
    }

    /// The next `count` changes, one event list each.
    public mutating func changes(_ count: Int) -> [[ObjectEvent]] {
        (0..<max(0, count)).map { _ in nextChange() }
    }

    private mutating func bump(_ meta: inout ObjectMeta) {
        version += 1
        meta.resourceVersion = String(version)
    }

    private mutating func addService() -> [ObjectEvent] {
        let profile = ServiceProfile.draw(mix, rng: &rng)
        var record = factory.make(index: nextServiceIndex, profile: profile, addresses: &addresses, rng: &rng)
        nextServiceIndex += 1
        bump(&record.service.metadata)
        for i in record.slices.indices { bump(&record.slices[i].metadata) }
        records.append(record)
        return [.upsert(.service(record.service))] + record.slices.map { .upsert(.endpointSlice($0)) }
    }

    private mutating func removeService() -> [ObjectEvent] {
        guard !records.isEmpty else { return [] }
        let i = rng.below(records.count)
        records.swapAt(i, records.count - 1)
        let record = records.removeLast()
        addresses.release(nodePorts: record.nodePorts)
        return [.delete(record.ref)] + record.slices.map { .delete(KubeObject.endpointSlice($0).ref) }
    }

    private mutating func changeEndpoint() -> [ObjectEvent] {
        guard !records.isEmpty else { return [] }
        let s = rng.below(records.count)
        let sliceIndex = rng.below(records[s].slices.count)
        var slice = records[s].slices[sliceIndex]
        let family = IPFamily(rawValue: slice.addressType ?? "") ?? .ipv4
        let hints = records[s].service.spec?.trafficDistribution != nil
        var endpoints = slice.endpoints ?? []
        let used = Set(endpoints.flatMap { $0.addresses ?? [] })
        let (node, host) = freePod(avoiding: used, family: family)
        let replacement = factory.endpoint(node: node, host: host, terminating: rng.chance(mix.terminatingEndpoints),
                                           family: family, hints: hints)
        if endpoints.isEmpty {
            endpoints.append(replacement)
        } else {
            endpoints[rng.below(endpoints.count)] = replacement
        }
        slice.endpoints = endpoints
        bump(&slice.metadata)
        records[s].slices[sliceIndex] = slice
        return [.upsert(.endpointSlice(slice))]
    }

    /// A pod (node, host) whose address is not in `used`: random tries, then a scan.
    private mutating func freePod(avoiding used: Set<String>, family: IPFamily) -> (Int, Int) {
        let n = nodes.count
        func address(_ node: Int, _ host: Int) -> String {
            AddressAllocator.podIP(node: node, host: host, family: family).description
        }
        for _ in 0..<16 {
            let node = rng.below(n), host = rng.below(254) + 1
            if !used.contains(address(node, host)) { return (node, host) }
        }
        for node in 0..<n {
            for host in 1...254 where !used.contains(address(node, host)) { return (node, host) }
        }
        return (rng.below(n), rng.below(254) + 1) // every pod address taken: a replaced one is reused
    }
}
