import Foundation
import KubeClient
import KubeObjects
import SwitchyardCore
import TestAPIServer
import Testing

@Suite("ClusterWatcher")
struct ClusterWatcherTests {
    @Test("synced stays false while one resource cannot complete its LIST")
    func notSyncedWhilePartial() async throws {
        try await withServer { server, client in
            try server.create(service("web"))
            try server.create(slice("web-1", service: "web"))
            let broken = WatchResource(kind: .node, path: "/api/v1/nodez", fieldSelector: "metadata.name=node-a")
            let watcher = ClusterWatcher(watchers: [
                ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger),
                ResourceWatcher(client: client, resource: .endpointSlices, options: fastOptions, logger: quietLogger),
                ResourceWatcher(client: client, resource: broken, options: fastOptions, logger: quietLogger),
            ])
            let collector = Collector()
            let task = start(watcher, into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { $0.state.count == 2 })
            try server.create(service("later"))
            #expect(await collector.wait { $0.state.count == 3 })
            try await Task.sleep(for: .milliseconds(200))
            #expect(!collector.clusterUpdates.isEmpty)
            #expect(collector.clusterUpdates.allSatisfy { !$0.synced })
        }
    }

    @Test("synced becomes true once services, slices and the node have listed, and stays true")
    func syncedAfterAllListed() async throws {
        try await withServer { server, client in
            try server.create(service("web"))
            try server.create(node("node-a"))
            try server.create(node("node-b", address: "192.0.2.11"))
            let watcher = ClusterWatcher(client: client, nodeName: "node-a", options: fastOptions, logger: quietLogger)
            let collector = Collector()
            let task = start(watcher, into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { $0.clusterUpdates.contains(where: \.synced) })
            let updates = collector.clusterUpdates
            let first = updates.firstIndex(where: \.synced)!
            #expect(updates[first...].allSatisfy { $0.synced })
            #expect(Set(collector.state.keys.map(\.kind)) == [.service, .node])
            #expect(collector.state.keys.filter { $0.kind == .node }.map(\.name) == ["node-a"], "field selector: own node only")
            // Each kind listed before synced: everything the server had is in.
            #expect(collector.state.count == 2)

            let stamp = "2024-03-01T12:00:00.5Z"
            let s = try server.create(slice("web-1", service: "web", annotations: [WatchUpdate.triggerTimeAnnotation: stamp]))
            #expect(await collector.wait { $0.state[s.ref] != nil })
            let withTime = collector.clusterUpdates.last { !$0.lastChangeTriggerTimes.isEmpty }
            #expect(withTime?.lastChangeTriggerTimes[s.ref] == ClusterWatcher.parseTriggerTime(stamp))
            #expect(withTime?.synced == true)
        }
    }

    @Test("property: random churn with injected faults, then quiet, ends with the server's object set",
          arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func churnConverges(seed: UInt64) async throws {
        try await withServer(bookmarkInterval: .milliseconds(100)) { server, client in
            var rng = SplitMix64(state: seed)
            let watcher = ClusterWatcher(client: client, nodeName: "node-a", options: fastOptions, logger: quietLogger)
            let collector = Collector()
            let task = start(watcher, into: collector)
            defer { task.cancel() }
            try server.create(node("node-a"))
            var live: [ObjectRef: KubeObject] = [:]
            var outage = 0
            for step in 0..<200 {
                // An outage: watches dropped and reconnects held back while changes pile up; it ends
                // with a compaction, so the reconnects get 410 and must relist.
                if outage > 0 {
                    outage -= 1
                    if outage == 0 { server.faults.compactNow(); server.faults.setDelay(.zero) }
                }
                let roll = Int.random(in: 0..<100, using: &rng)
                let name = "o\(Int.random(in: 0..<12, using: &rng))"
                let isService = Bool.random(using: &rng)
                let object = isService
                    ? service(name, ip: "10.96.0.\(Int.random(in: 1..<250, using: &rng))", port: Int.random(in: 1..<65536, using: &rng))
                    : slice(name, service: "o\(Int.random(in: 0..<12, using: &rng))",
                            addresses: ["10.244.1.\(Int.random(in: 1..<250, using: &rng))"])
                switch roll {
                case 0..<3: server.faults.dropWatches()
                case 3..<5: server.faults.compactNow()
                case 5..<6: server.faults.failNext(2)
                case 6..<8: server.faults.compactNow(); server.faults.dropWatches()
                case 8..<11 where outage == 0:
                    server.faults.setDelay(.milliseconds(80)); server.faults.dropWatches(); outage = 8
                default:
                    if live[object.ref] == nil {
                        live[object.ref] = try server.create(object)
                    } else if roll < 60 {
                        live[object.ref] = try server.update(object)
                    } else {
                        try server.delete(object.ref); live[object.ref] = nil
                    }
                }
                if step % 10 == 0 { try await Task.sleep(for: .milliseconds(Int.random(in: 0..<30, using: &rng))) }
            }
            server.faults.setDelay(.zero)
            let expected = serverState(server, [.service, .endpointSlice, .node])
            #expect(expected.count == live.count + 1)
            let converged = await collector.wait(timeout: .seconds(20)) { $0.state == expected }
            #expect(converged, "watcher has \(collector.state.count) objects, server \(expected.count)")
            #expect(collector.clusterUpdates.last?.synced == true)
        }
    }
}
