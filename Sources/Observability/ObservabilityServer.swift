import Foundation
import Model
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Sync

/// Where the daemon serves metrics and health, and how health is judged.
public struct ObservabilityConfig: Hashable, Sendable {
    /// `--metrics-bind-address` (kube-proxy: 127.0.0.1:10249).
    public var metricsHost: String
    public var metricsPort: Int
    /// `--healthz-bind-address` (kube-proxy: 0.0.0.0:10256).
    public var healthHost: String
    public var healthPort: Int
    /// Address the health-check node ports listen on.
    public var nodePortHost: String
    /// How long a queued change may wait for a sync before the proxy is unhealthy (kube-proxy: 2 × syncPeriod).
    public var healthTimeout: TimeInterval

    public init(metricsHost: String = "127.0.0.1", metricsPort: Int = 10249, healthHost: String = "0.0.0.0",
                healthPort: Int = 10256, nodePortHost: String = "0.0.0.0", healthTimeout: TimeInterval = 60) {
        self.metricsHost = metricsHost; self.metricsPort = metricsPort; self.healthHost = healthHost
        self.healthPort = healthPort; self.nodePortHost = nodePortHost; self.healthTimeout = healthTimeout
    }
}

/// The daemon's observability: the metrics server, `/healthz` + `/livez`, and health-check node ports.
/// Register it as a `SyncObserver` of the `SyncEngine`; applied states drive the node-port listeners.
public final class ObservabilityServer: SyncObserver, Sendable {
    public let config: ObservabilityConfig
    public let metrics: ProxyMetrics
    public let health: ProxyHealth
    public let nodePorts: HealthCheckNodePorts
    private let group: any EventLoopGroup
    private let servers = NIOLockedValueBoxServers()
    private let appliedStates: AsyncStream<ProxyState>.Continuation
    private let nodePortTask: Task<Void, Never>

    public init(config: ObservabilityConfig, backend: String, clock: any SyncClock = SystemSyncClock(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.config = config
        self.group = group
        let metrics = ProxyMetrics(backend: backend)
        let health = ProxyHealth(healthTimeout: config.healthTimeout, clock: clock)
        self.metrics = metrics
        self.health = health
        let nodePorts = HealthCheckNodePorts(host: config.nodePortHost, group: group) { health.proxyHealthy }
        self.nodePorts = nodePorts
        let (stream, continuation) = AsyncStream<ProxyState>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.appliedStates = continuation
        // One consumer keeps listener updates in order; only the newest pending state matters.
        self.nodePortTask = Task { for await state in stream { await nodePorts.update(from: state) } }
    }

    /// Binds the metrics and health servers. Returns their bound ports (useful with port 0).
    @discardableResult
    public func start() async throws -> (metrics: Int, health: Int) {
        let metrics = self.metrics, health = self.health
        let metricsServer = try await HTTPServer.start(host: config.metricsHost, port: config.metricsPort, group: group) { head in
            Self.metricsReply(head, metrics: metrics)
        }
        let healthServer: HTTPServer
        do {
            healthServer = try await HTTPServer.start(host: config.healthHost, port: config.healthPort, group: group) { head in
                Self.healthReply(head, health: health, metrics: metrics)
            }
        } catch {
            await metricsServer.close()
            throw error
        }
        servers.set([metricsServer, healthServer])
        return (metricsServer.port, healthServer.port)
    }

    /// Closes every listener.
    public func shutdown() async {
        appliedStates.finish()
        nodePortTask.cancel()
        for s in servers.take() { await s.close() }
        await nodePorts.shutdown()
    }

    static func metricsReply(_ head: HTTPRequestHead, metrics: ProxyMetrics) -> HTTPReply {
        guard path(head) == "/metrics" else { return .notFound() }
        return HTTPReply(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
    }

    static func healthReply(_ head: HTTPRequestHead, health: ProxyHealth, metrics: ProxyMetrics) -> HTTPReply {
        let answer: HealthAnswer
        switch path(head) {
        case "/healthz": answer = health.healthz(); metrics.recordProbe(livez: false, code: answer.code)
        case "/livez": answer = health.livez(); metrics.recordProbe(livez: true, code: answer.code)
        default: return .notFound()
        }
        return HTTPReply(status: HTTPResponseStatus(statusCode: answer.code), contentType: "application/json", body: answer.body)
    }

    private static func path(_ head: HTTPRequestHead) -> Substring {
        head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    // MARK: - SyncObserver

    public func statusChanged(_ status: SyncStatus) {
        metrics.statusChanged(status)
        health.statusChanged(status)
    }

    public func syncCompleted(_ record: SyncRecord, status: SyncStatus) {
        metrics.syncCompleted(record, status: status)
        health.syncCompleted(record, status: status)
        if let applied = record.applied { appliedStates.yield(applied) }
    }
}

/// The bound servers, set once by `start` and taken by `shutdown`.
private final class NIOLockedValueBoxServers: Sendable {
    private let box = NIOLockedValueBox<[HTTPServer]>([])
    func set(_ s: [HTTPServer]) { box.withLockedValue { $0 = s } }
    func take() -> [HTTPServer] { box.withLockedValue { let s = $0; $0 = []; return s } }
}
