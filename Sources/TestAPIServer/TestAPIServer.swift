import Foundation
import KubeObjects
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An in-process Kubernetes API server for tests and the benchmark runner. It speaks the real wire
/// protocol for Services, EndpointSlices and Nodes: LIST with `limit`/`continue`, chunked WATCH streams
/// with BOOKMARKs, 410 Gone after compaction, label and `metadata.name` field selectors, POST/PUT/DELETE,
/// TLS, bearer-token auth and enough discovery for kubectl. Objects are stored as JSON, so fields the
/// server does not model survive round trips.
public final class TestAPIServer: @unchecked Sendable {
    /// A request as received (for assertions in tests).
    public struct RecordedRequest: Sendable {
        public var method: String
        public var uri: String
        public var authorization: String?
        /// When the request's head was complete.
        public var time: ContinuousClock.Instant
    }

    /// Fault injection: drop watches, delay, fail requests, compact.
    public let faults: ServerFaults
    let store: ObjectStore
    private let lock = NSLock()
    private var tokens: Set<String> = []
    private var recorded: [RecordedRequest] = []
    private var serverChannel: Channel?
    private var acceptTask: Task<Void, Never>?
    private var connections: [ObjectIdentifier: Channel] = [:]
    private var baseURL: URL?
    let bookmarkInterval: Duration

    /// `bookmarkInterval`: how often each watch with `allowWatchBookmarks=true` gets a BOOKMARK;
    /// `historyLimit`: how many changes are kept for watch replay before the oldest half is compacted.
    public init(bookmarkInterval: Duration = .seconds(1), historyLimit: Int = 200_000) {
        self.bookmarkInterval = bookmarkInterval
        self.store = ObjectStore(historyLimit: historyLimit)
        self.faults = ServerFaults(store: store)
    }

    /// Starts listening on 127.0.0.1 on a free port. With `tls` the server speaks HTTPS with that
    /// certificate; with `token` every API request must carry `Authorization: Bearer <token>` (401 otherwise).
    /// With `boundSocket` (a TCP socket already bound to 127.0.0.1, e.g. one created inside another
    /// network namespace; the server takes it over and closes it) it listens there instead.
    /// Returns the base URL (`https://127.0.0.1:PORT`).
    @discardableResult
    public func start(tls: TestCertificates? = nil, token: String? = nil, boundSocket: Int32? = nil) async throws -> URL {
        let sslContext = try tls.map { material -> NIOSSLContext in
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(material.serverCertificatePEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(bytes: Array(material.serverKeyPEM.utf8), format: .pem)
            return try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        }
        lock.withLock { tokens = token.map { [$0] } ?? [] }
        let initializer: @Sendable (Channel) -> EventLoopFuture<APIConnection> = { child in
            child.eventLoop.makeCompletedFuture {
                if let sslContext {
                    try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                }
                try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                let wrapped = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                return APIConnection(channel: child, io: wrapped)
            }
        }
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let channel: NIOAsyncChannel<APIConnection, Never>
        if let boundSocket {
            channel = try await bootstrap.bind(boundSocket, childChannelInitializer: initializer)
        } else {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: 0, childChannelInitializer: initializer)
        }
        let port = channel.channel.localAddress?.port ?? 0
        let url = URL(string: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)")!
        lock.withLock {
            serverChannel = channel.channel
            baseURL = url
        }
        let task = Task<Void, Never> { [self] in
            _ = try? await channel.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            group.addTask {
                                let id = ObjectIdentifier(connection.channel)
                                self.lock.withLock { self.connections[id] = connection.channel }
                                await connection.serve(self)
                                _ = self.lock.withLock { self.connections.removeValue(forKey: id) }
                            }
                        }
                    } catch {}
                }
            }
        }
        lock.withLock { acceptTask = task }
        return url
    }

    /// The base URL once started.
    public var url: URL? { lock.withLock { baseURL } }

    /// Replaces the accepted bearer tokens (empty: no authentication).
    public func setTokens(_ accepted: Set<String>) { lock.withLock { tokens = accepted } }

    /// Every request received so far, in order.
    public var requests: [RecordedRequest] { lock.withLock { recorded } }

    /// The current global resource version.
    public var resourceVersion: Int { store.currentRevision }

    /// How many BOOKMARK events have been queued to watchers so far.
    public var bookmarksSent: Int { store.bookmarksSent }

    /// Stops listening, ends every watch and closes every connection.
    public func stop() async {
        let (channel, task) = lock.withLock { (serverChannel, acceptTask) }
        store.finishAll()
        faults.dropWatches()
        try? await channel?.close()
        for open in lock.withLock({ Array(connections.values) }) { open.close(promise: nil) }
        task?.cancel()
        await task?.value
    }

    // MARK: programmatic API

    /// Creates `object` (namespace defaults to `default`) and returns it as stored (uid, resourceVersion set).
    @discardableResult
    public func create(_ object: KubeObject) throws -> KubeObject {
        let (resource, data) = try Self.encode(object)
        return try Self.decode(store.create(resource, json: data, namespace: nil))
    }

    /// Replaces `object` (by kind, namespace, name). A non-empty `metadata.resourceVersion` must match.
    @discardableResult
    public func update(_ object: KubeObject) throws -> KubeObject {
        let (resource, data) = try Self.encode(object)
        let ref = object.ref
        return try Self.decode(store.update(resource, namespace: resource.namespaced ? ref.namespace : nil, name: ref.name, json: data))
    }

    /// Deletes the object `ref` names.
    public func delete(_ ref: ObjectRef) throws {
        _ = try store.delete(Self.resource(ref.kind), namespace: ref.kind == .node ? "" : ref.namespace, name: ref.name)
    }

    /// Creates an object from raw JSON (fields the KubeObjects types do not model are kept).
    @discardableResult
    public func createJSON(_ resource: APIResource, _ json: Data) throws -> Data {
        try store.create(resource, json: json, namespace: nil).json
    }

    /// The stored JSON of one object.
    public func getJSON(_ resource: APIResource, namespace: String, name: String) throws -> Data {
        try store.get(resource, namespace: resource.namespaced ? namespace : "", name: name).json
    }

    /// Every stored object of `kind`, decoded.
    public func objects(_ kind: ObjectKind) -> [KubeObject] {
        store.all(Self.resource(kind)).compactMap { try? Self.decode($0) }
    }

    static func resource(_ kind: ObjectKind) -> APIResource {
        switch kind {
        case .service: return .services
        case .endpointSlice: return .endpointslices
        case .node: return .nodes
        }
    }

    static func encode(_ object: KubeObject) throws -> (APIResource, Data) {
        let encoder = JSONEncoder()
        switch object {
        case .service(let s): return (.services, try encoder.encode(s))
        case .endpointSlice(let e): return (.endpointslices, try encoder.encode(e))
        case .node(let n): return (.nodes, try encoder.encode(n))
        }
    }

    static func decode(_ stored: StoredObject) throws -> KubeObject {
        let decoder = JSONDecoder()
        switch stored.resource {
        case .services: return .service(try decoder.decode(Service.self, from: stored.json))
        case .endpointslices: return .endpointSlice(try decoder.decode(EndpointSlice.self, from: stored.json))
        case .nodes: return .node(try decoder.decode(Node.self, from: stored.json))
        }
    }

    // MARK: request handling (used by APIConnection)

    func record(_ request: RecordedRequest) { lock.withLock { recorded.append(request) } }

    func authorized(_ header: String?) -> Bool {
        lock.withLock {
            guard !tokens.isEmpty else { return true }
            guard let header, header.hasPrefix("Bearer ") else { return false }
            return tokens.contains(String(header.dropFirst("Bearer ".count)))
        }
    }

    var serverAddress: String {
        lock.withLock { baseURL.map { "\($0.host ?? "127.0.0.1"):\($0.port ?? 0)" } ?? "127.0.0.1" }
    }
}
