import Foundation
import KubeClient
import KubeObjects
import Logging
import SwitchyardCore
import TestAPIServer

/// Keeps expected retries and relists out of the test output.
let quietLogger: Logger = {
    var l = Logger(label: "switchyard.test")
    l.logLevel = .error
    return l
}()

/// Watch options small enough for tests: tiny pages, short backoff.
let fastOptions = WatchOptions(pageSize: 2, timeoutSeconds: 30,
                               backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), jitter: 0.5))

/// Runs `body` against a fresh plain-HTTP server and a client for it; always stops both.
func withServer<T>(token: String = "test-token", bookmarkInterval: Duration = .seconds(1),
                   _ body: (TestAPIServer, KubeAPIClient) async throws -> T) async throws -> T {
    let server = TestAPIServer(bookmarkInterval: bookmarkInterval)
    let url = try await server.start(token: token)
    let client = try KubeAPIClient(config: KubeClientConfig(server: url, token: .value(token)), logger: quietLogger)
    do {
        let result = try await body(server, client)
        try await client.shutdown()
        await server.stop()
        return result
    } catch {
        try? await client.shutdown()
        await server.stop()
        throw error
    }
}

func service(_ name: String, namespace: String = "default", ip: String = "10.96.0.10", port: Int = 80,
             labels: [String: String]? = nil) -> KubeObject {
    .service(Service(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
                     spec: ServiceSpec(clusterIP: ip, ports: [ServicePortSpec(name: "http", protocol: "TCP", port: port)])))
}

func slice(_ name: String, service: String, namespace: String = "default", addresses: [String] = ["10.244.1.2"],
           annotations: [String: String]? = nil) -> KubeObject {
    .endpointSlice(EndpointSlice(
        metadata: ObjectMeta(name: name, namespace: namespace, labels: [EndpointSlice.serviceNameLabel: service],
                             annotations: annotations),
        addressType: "IPv4", endpoints: addresses.map { EndpointSpec(addresses: [$0], nodeName: "node-a") },
        ports: [EndpointPortSpec(name: "http", protocol: "TCP", port: 8080)]))
}

func node(_ name: String, address: String = "192.0.2.10") -> KubeObject {
    .node(Node(metadata: ObjectMeta(name: name, labels: [Node.zoneLabel: "zone-a"]),
               status: NodeStatus(addresses: [NodeAddress(type: "InternalIP", address: address)])))
}

/// Applies watch output to a local object set, the way the daemon would, and lets tests wait on it.
final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [ObjectRef: KubeObject] = [:]
    private var resourceUpdates: [ResourceUpdate] = []
    private var watchUpdates: [WatchUpdate] = []

    func add(_ u: ResourceUpdate) {
        lock.withLock {
            resourceUpdates.append(u)
            apply(u.events)
        }
    }

    func add(_ u: WatchUpdate) {
        lock.withLock {
            watchUpdates.append(u)
            apply(u.events)
        }
    }

    private func apply(_ events: [ObjectEvent]) {
        for e in events {
            switch e {
            case .upsert(let o): objects[o.ref] = o
            case .delete(let r): objects[r] = nil
            }
        }
    }

    var state: [ObjectRef: KubeObject] { lock.withLock { objects } }
    var updates: [ResourceUpdate] { lock.withLock { resourceUpdates } }
    var clusterUpdates: [WatchUpdate] { lock.withLock { watchUpdates } }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    func wait(timeout: Duration = .seconds(10), _ condition: (Collector) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(self)
    }
}

/// Starts `watcher` feeding `collector`; cancel the returned task to stop it.
func start(_ watcher: ResourceWatcher, into collector: Collector) -> Task<Void, Never> {
    Task { await watcher.run { collector.add($0) } }
}

func start(_ watcher: ClusterWatcher, into collector: Collector) -> Task<Void, Never> {
    Task { for await u in watcher.updates() { collector.add(u) } }
}

/// Objects on the server, keyed like the collector's.
func serverState(_ server: TestAPIServer, _ kinds: [ObjectKind]) -> [ObjectRef: KubeObject] {
    var out: [ObjectRef: KubeObject] = [:]
    for k in kinds { for o in server.objects(k) { out[o.ref] = o } }
    return out
}

/// Query parameters of recorded requests to `pathPrefix`.
func recordedQueries(_ server: TestAPIServer, path: String) -> [[String: String]] {
    server.requests.compactMap { r -> [String: String]? in
        guard let c = URLComponents(string: r.uri), c.path == path else { return nil }
        var q: [String: String] = [:]
        for i in c.queryItems ?? [] { q[i.name] = i.value ?? "" }
        return q
    }
}

/// Deterministic generator for property tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
