import Foundation
import KubeClient
import KubeObjects
import Model
import TestAPIServer

/// Network-programming latency, and the proxy's own peak memory, from the real daemon: the
/// in-process test API server is loaded with the cluster and listens on the loopback of the row's
/// throwaway namespace (its socket is created there); `switchyard run` (this same binary) is
/// started in that namespace as a child process, pointed at the server through a kubeconfig, so it
/// lists, watches and programs its namespace exactly as on a node. After its initial full sync,
/// `runs` EndpointSlice updates are written to the server one at a time, each stamped with
/// `endpoints.kubernetes.io/last-change-trigger-time`; a latency runs from just before the write
/// until the bench reads the daemon's `sync done` log line of the sync that applied it (the daemon
/// logs it after its applier returned, with min-sync-period 0 nothing waits for a rate limit).
/// The first change is written right after the initial sync and reported on its own (a restart's
/// figure: the daemon is still busy with what follows a full sync — freeing the listing, the heap
/// trim, the conntrack reconcile); the `runs` samples start `settle` later, in steady state, as
/// kube-proxy's own network-programming-latency SLI is measured.
struct NetworkProgrammingLatency: Sendable {
    let objects: [KubeObject]
    let nodeConfig: NodeConfig
    let runs: Int
    let backend: BenchBackend
    let switchyard: String
    /// `legacy` or `nft`, for the iptables and IPVS backends' iptables rules.
    let iptablesVariant: String
    /// Pause between the first change after the initial sync and the steady-state samples.
    var settle: Duration = .seconds(3)

    struct Outcome: Sendable {
        /// One latency (seconds) per measured change, in steady state.
        var samples: [Double]
        /// The latency of the change written right after the initial full sync, seconds.
        var firstAfterInitialSync: Double?
        /// The daemon's peak resident set (VmHWM) at the end, bytes.
        var peakRSSBytes: Int?
        /// The daemon's resident high-water mark right after its initial full sync, bytes.
        var rssAfterInitialSyncBytes: Int?
    }

    func measure(netns: String, namespaces: BenchNamespaces, changes: inout any ChangeStream) async throws -> Outcome {
        let server = TestAPIServer(bookmarkInterval: .seconds(60), historyLimit: max(200_000, objects.count * 2 + runs * 4))
        var mirror = ProxyStateTracker(config: nodeConfig)
        for object in objects { try server.create(object) }
        _ = mirror.apply(objects.map { .upsert($0) })
        let expectedServices = mirror.commit().state.services.count

        let socket = try NamespaceSocket.boundLoopbackTCP(netns: netns)
        let url: URL
        do { url = try await server.start(boundSocket: socket) } catch { close(socket); throw error }
        let kubeconfig = NSTemporaryDirectory() + "\(netns)-kubeconfig.yaml"
        namespaces.addScratch(kubeconfig)
        defer { namespaces.removeScratch(kubeconfig) }
        var daemon: ProxyDaemon?
        do {
            try Data(Self.kubeconfig(server: url).utf8).write(to: URL(fileURLWithPath: kubeconfig))
            let argv = ProxyDaemon.arguments(switchyard: switchyard, netns: netns, backend: backend, kubeconfig: kubeconfig,
                                             node: nodeConfig, iptablesVariant: iptablesVariant)
            let lines = Expectations<String>()
            let first = lines.expect(Self.expectInitialSync(services: expectedServices))
            let started = try ProxyDaemon(argv, namespaces: namespaces, lines: lines)
            daemon = started
            guard let line = await started.lines.wait(first, timeout: .seconds(600))?.value else {
                throw BenchError("the daemon's initial sync of \(expectedServices) services did not arrive within 600 s (\(started.tail))")
            }
            if !Self.isSyncDone(line) { throw BenchError("the daemon failed: \(line)") }
            var outcome = Outcome(samples: [], rssAfterInitialSyncBytes: started.peakRSSBytes())
            /// Writes the next visible change and waits for the sync that applied it; nil when the
            /// change stream produced no visible change (nothing to sync).
            func measureOne() async throws -> Double? {
                let events = changes.nextChange()
                _ = mirror.apply(events)
                let ch = mirror.commit()
                guard let name = ch.changedServices.first, ch.changedServices.count == 1,
                      ch.state.services[name] != ch.previous.services[name] else { return nil }   // no visible change: no sync
                let ticket = started.lines.expect(Self.expectChangeSynced)
                let start = ContinuousClock.now
                let stamp = Self.triggerTime(Date())
                for case .upsert(let object) in events { try server.update(Self.stamped(object, triggerTime: stamp)) }
                guard let done = await started.lines.wait(ticket, timeout: .seconds(30)) else {
                    throw BenchError("the change to \(name) was not applied within 30 s (\(started.tail))")
                }
                if !Self.isSyncDone(done.value) { throw BenchError("the daemon failed: \(done.value)") }
                return (done.time - start).seconds
            }
            var attempts = 0
            while outcome.firstAfterInitialSync == nil, attempts < 10 {
                attempts += 1
                outcome.firstAfterInitialSync = try await measureOne()
            }
            try await Task.sleep(for: settle)
            attempts = 0
            while outcome.samples.count < runs, attempts < runs * 10 {
                attempts += 1
                if let seconds = try await measureOne() { outcome.samples.append(seconds) }
            }
            outcome.peakRSSBytes = started.peakRSSBytes()
            started.stop()
            await server.stop()
            return outcome
        } catch {
            daemon?.stop()
            await server.stop()
            throw error
        }
    }

    // MARK: - Parts

    /// A kubeconfig for the plain-HTTP server on the namespace's loopback (no credentials needed).
    static func kubeconfig(server: URL) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: bench
        clusters:
        - name: bench
          cluster: {server: "\(server.absoluteString)"}
        contexts:
        - name: bench
          context: {cluster: bench}
        """
    }

    static func isSyncDone(_ line: String) -> Bool { line.contains("msg=\"sync done\"") }
    /// A failed sync, or the command refusing its arguments (ArgumentParser's `Error: …`).
    static func isFailure(_ line: String) -> Bool {
        line.contains("msg=\"sync failed") || line.hasPrefix("Error:")
    }

    /// The first full sync holding every service, or a failure.
    static func expectInitialSync(services: Int) -> @Sendable (String) -> Bool {
        { line in
            isFailure(line) || (isSyncDone(line) && ProxyDaemon.field("kind", in: line) == "full"
                                && ProxyDaemon.field("services", in: line) == "\(services)")
        }
    }

    /// A sync that applied a slice carrying a trigger time (the bench's change), or a failure.
    static let expectChangeSynced: @Sendable (String) -> Bool = { line in
        isFailure(line) || (isSyncDone(line) && ProxyDaemon.field("programming_latency_max_ms", in: line) != nil)
    }

    /// RFC 3339 with fractional seconds, as the endpoints controller writes it.
    static func triggerTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// `object` as written to the server: an EndpointSlice gets the trigger-time annotation and
    /// loses its resource version (an unconditional update).
    static func stamped(_ object: KubeObject, triggerTime: String) -> KubeObject {
        guard case .endpointSlice(var slice) = object else { return object }
        slice.metadata.resourceVersion = nil
        var annotations = slice.metadata.annotations ?? [:]
        annotations[WatchUpdate.triggerTimeAnnotation] = triggerTime
        slice.metadata.annotations = annotations
        return .endpointSlice(slice)
    }
}
