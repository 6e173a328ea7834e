import KubeObjects
import Synthetic
import Testing

@Suite struct ChurnGeneratorTests {
    static let cluster = SyntheticCluster(seed: 31, services: 300, endpointsPerService: 4, mix: .everything)

    /// Applies events to a store, checking each one refers to what exists.
    static func replay(_ changes: [[ObjectEvent]], kind: ChurnGenerator.Kind) throws -> [ObjectRef: KubeObject] {
        var store = Dictionary(uniqueKeysWithValues: cluster.objects().map { ($0.ref, $0) })
        for events in changes {
            #expect(!events.isEmpty)
            for event in events {
                switch event {
                case .delete(let ref):
                    #expect(store.removeValue(forKey: ref) != nil, "delete of missing \(ref)")
                    #expect(kind == .serviceRemove || kind == .mixed)
                case .upsert(let object):
                    let previous = store.updateValue(object, forKey: object.ref)
                    if case .endpointSlice(let slice) = object {
                        let serviceRef = ObjectRef(kind: .service, namespace: slice.metadata.namespace ?? "",
                                                   name: slice.metadata.labels?[EndpointSlice.serviceNameLabel] ?? "")
                        #expect(store[serviceRef] != nil, "slice without service")
                        if case .endpointSlice(let old)? = previous {
                            #expect(differsInOneEndpoint(old, slice))
                        }
                    } else {
                        #expect(previous == nil, "service add of an existing \(object.ref)")
                    }
                }
            }
        }
        return store
    }

    static func differsInOneEndpoint(_ a: EndpointSlice, _ b: EndpointSlice) -> Bool {
        let x = a.endpoints ?? [], y = b.endpoints ?? []
        if x.isEmpty { return y.count == 1 }
        guard x.count == y.count else { return false }
        let changed = zip(x, y).filter { $0 != $1 }.count
        let addresses = y.flatMap { $0.addresses ?? [] }
        return changed == 1 && Set(addresses).count == addresses.count
    }

    @Test(arguments: ChurnGenerator.Kind.allCases)
    func streamsReferToExistingObjects(kind: ChurnGenerator.Kind) throws {
        var churn = ChurnGenerator(cluster: Self.cluster, kind: kind)
        let steps = kind == .serviceRemove ? 250 : 400
        let changes = churn.changes(steps)
        let store = try Self.replay(changes, kind: kind)
        let events = changes.flatMap { $0 }
        let adds = events.filter { if case .upsert(.service) = $0 { true } else { false } }.count
        let removes = events.filter { if case .delete(let r) = $0 { r.kind == .service } else { false } }.count
        // The replayed store is exactly the generator's view of the changed cluster.
        let now = churn.objects()
        #expect(Set(store.values) == Set(now))
        #expect(now.count == store.count)
        switch kind {
        case .serviceAdd: #expect(churn.serviceCount == 300 + steps)
        case .serviceRemove: #expect(churn.serviceCount == 300 - steps)
        case .endpointChange: #expect(churn.serviceCount == 300)
        case .mixed: #expect(adds > 0 && removes > 0 && adds + removes < steps / 2)
        }
        #expect(churn.serviceCount == 300 + adds - removes)
        // Live ClusterIPs and NodePorts stay unique after churn.
        let idx = ObjectIndex(now)
        #expect(idx.clusterIPs.isUnique)
        #expect(idx.nodePorts.isUnique)
    }

    @Test func removingEverythingThenNothingIsLeft() {
        let small = SyntheticCluster(seed: 1, services: 3, endpointsPerService: 1)
        var churn = ChurnGenerator(cluster: small, kind: .serviceRemove)
        #expect(churn.changes(3).allSatisfy { $0.count == 2 })
        #expect(churn.nextChange().isEmpty)
        var changer = ChurnGenerator(cluster: SyntheticCluster(seed: 1, services: 0, endpointsPerService: 1), kind: .endpointChange)
        #expect(changer.nextChange().isEmpty)
    }

    @Test func streamsAreDeterministic() {
        for kind in ChurnGenerator.Kind.allCases {
            var a = ChurnGenerator(cluster: Self.cluster, kind: kind)
            var b = ChurnGenerator(cluster: Self.cluster, kind: kind)
            var c = ChurnGenerator(cluster: Self.cluster, kind: kind, seed: 99)
            let x = a.changes(50), y = b.changes(50), z = c.changes(50)
            #expect(x == y)
            #expect(x != z)
        }
    }

    @Test func endpointChangesBumpResourceVersions() throws {
        var churn = ChurnGenerator(cluster: Self.cluster, kind: .endpointChange)
        var versions: [Int] = []
        for events in churn.changes(20) {
            guard case .upsert(.endpointSlice(let s)) = try #require(events.first) else { Issue.record("not a slice"); continue }
            versions.append(Int(s.metadata.resourceVersion ?? "") ?? 0)
        }
        #expect(versions == versions.sorted() && versions.isUnique && versions.allSatisfy { $0 > 1 })
    }
}
