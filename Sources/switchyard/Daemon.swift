import Apply
import Foundation
import KubeClient
import KubeObjects
import Logging
import Observability
import SwitchyardCore
import Sync
import Watch

/// The `switchyard run` daemon: source (API watch or static manifests) → `SyncEngine` (with the
/// backend's applier) → `ObservabilityServer`. Runs until SIGTERM/SIGINT, then stops watching, lets a
/// running sync finish, closes the servers and returns. The rules stay in place, as with kube-proxy.
struct Daemon {
    let settings: DaemonSettings
    /// Backend tool choices (`--iptables-variant`).
    let applierOptions: ApplierOptions
    let logger: Logger

    /// Runs until a signal arrives. Throws only for startup failures (nothing bound is left open).
    func run() async throws {
        let signals = SignalWaiter()
        for w in settings.configWarnings { logger.warning("config file: \(w)") }
        for n in settings.configNotes { logger.info("config file: \(n)") }
        let applier = try Appliers.make(settings.backend, options: applierOptions)
        let staticEvents = try loadManifestsIfStatic()

        let observability = ObservabilityServer(config: settings.observability, backend: settings.backend.rawValue)
        let ports = try await observability.start()
        logger.info("serving metrics and health", metadata: [
            "metrics": "\(settings.observability.metricsHost):\(ports.metrics)",
            "healthz": "\(settings.observability.healthHost):\(ports.health)",
        ])
        // The trim runs before the log line, so a full sync's line shows the memory kept.
        var observers: [any SyncObserver] = [observability, MemoryTrimObserver(logger: logger.labelled("switchyard.memory")),
                                             SyncLogObserver(logger: logger.labelled("switchyard.sync"))]
        if let conntrack = ConntrackObserver(logger: logger.labelled("switchyard.conntrack")) { observers.append(conntrack) }
        let engine = SyncEngine(config: settings.node, applier: applier, schedule: settings.schedule, observers: observers)
        let engineTask = Task { await engine.run() }

        var client: KubeAPIClient?
        let sourceTask: Task<Void, Never>
        switch settings.source {
        case .manifests(let paths):
            logger.info("source: static manifests (synced immediately; changes need a restart)", metadata: ["paths": "\(paths.joined(separator: ","))"])
            let events = staticEvents
            let health = observability.health, nodeName = settings.node.nodeName
            sourceTask = Task {
                health.observe(events, nodeName: nodeName)
                await Self.ingest(events, synced: true, triggers: [:], into: engine, logger: logger)
            }
        case .api(let config, let origin):
            let c: KubeAPIClient
            do { c = try KubeAPIClient(config: config, logger: logger.labelled("switchyard.kubeclient")) } catch {
                engineTask.cancel(); await engineTask.value
                await observability.shutdown()
                throw error
            }
            client = c
            logger.info("source: Kubernetes API", metadata: ["server": "\(config.server.absoluteString)", "via": "\(origin)"])
            let watcher = ClusterWatcher(client: c, nodeName: settings.node.nodeName, proxyName: settings.node.serviceProxyName,
                                         logger: logger.labelled("switchyard.watch"))
            sourceTask = Task { await Self.follow(watcher, into: engine, health: observability.health, nodeName: settings.node.nodeName, logger: logger) }
        }
        logger.info("started", metadata: [
            "backend": "\(settings.backend.rawValue)", "node": "\(settings.node.nodeName)",
            "sync_period": "\(settings.schedule.syncPeriod)", "min_sync_period": "\(settings.schedule.minSyncPeriod)",
        ])

        let signal = await signals.next()
        logger.info("stopping: rules stay in place", metadata: ["signal": "\(signal.map(SignalWaiter.name) ?? "none")"])
        sourceTask.cancel()
        await sourceTask.value
        logger.debug("watch stopped")
        engineTask.cancel()
        await engineTask.value   // a sync in progress finishes first
        logger.debug("sync engine stopped")
        await observability.shutdown()
        logger.debug("servers closed")
        if let client { await Self.shutdown(client, within: .seconds(1)) }
        logger.info("stopped")
    }

    /// Closes the API client's connections, waiting at most `limit` (an aborted watch can hold the
    /// HTTP client's shutdown for seconds; the process is exiting anyway).
    private static func shutdown(_ client: KubeAPIClient, within limit: Duration) async {
        let (done, signal) = AsyncStream<Void>.makeStream()
        Task { try? await client.shutdown(); signal.finish() }
        Task { try? await Task.sleep(for: limit); signal.finish() }
        for await _ in done {}
    }

    /// Manifests are read before anything is bound, so a bad path fails the start.
    private func loadManifestsIfStatic() throws -> [ObjectEvent] {
        guard case .manifests(let paths) = settings.source else { return [] }
        let load = try ManifestSource(paths: paths).load()
        for d in load.diagnostics { logger.warning("\(d.description)") }
        return load.events
    }

    /// Feeds the watcher's updates to the engine, and the own Node's changes to `/healthz`'s
    /// node eligibility.
    private static func follow(_ watcher: ClusterWatcher, into engine: SyncEngine, health: ProxyHealth, nodeName: String,
                               logger: Logger) async {
        var announcedSync = false
        for await update in watcher.updates() {
            for d in update.diagnostics { logger.warning("\(d.description)") }
            let wasEligible = health.nodeEligible
            health.observe(update.events, nodeName: nodeName)
            if health.nodeEligible != wasEligible {
                logger.info("node eligibility changed", metadata: ["node": "\(nodeName)", "eligible": "\(health.nodeEligible)"])
            }
            await ingest(update.events, synced: update.synced, triggers: update.lastChangeTriggerTimes, into: engine, logger: logger)
            if update.synced && !announcedSync {
                announcedSync = true
                var meta: Logger.Metadata = [:]
                for (k, v) in ProcessMemory.snapshot() { meta[k] = "\(v)" }
                logger.info("initial listing complete: syncing", metadata: meta)
            }
        }
    }

    private static func ingest(_ events: [ObjectEvent], synced: Bool, triggers: [ObjectRef: Date],
                               into engine: SyncEngine, logger: Logger) async {
        let rejected = await engine.ingest(events, synced: synced, triggerTimes: triggers)
        for d in rejected { logger.warning("\(d.description)") }
        logger.debug("ingested", metadata: ["events": "\(events.count)", "synced": "\(synced)"])
    }
}

extension Logger {
    /// A logger with the same handler settings and a different label.
    func labelled(_ label: String) -> Logger {
        var l = Logger(label: label)
        l.logLevel = logLevel
        return l
    }
}
