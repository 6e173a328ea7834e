import Apply
import ApplyIptables
import ApplyNftables
import Diff
import Foundation
import KubeObjects
import Model
import Render
import RenderIptables
import RenderNftables
import SwitchyardCore
import Synthetic

#if canImport(Glibc)
import Glibc
#endif

/// Runs the benchmark: per backend and cluster size, a cold sync, incremental changes and the
/// tools' own floor, each in fresh throwaway namespaces (`BenchNamespaces`). The bench process
/// itself never leaves the host namespace and never touches its rules: tools run through
/// `ip netns exec`, the nftables netlink socket is opened inside the namespace by the applier.
public struct BenchRunner: Sendable {
    public let config: BenchConfig
    public let namespaces: BenchNamespaces
    /// Receives one human-readable line per step (the command prints them on stderr).
    public let progress: @Sendable (String) -> Void

    public init(config: BenchConfig, namespaces: BenchNamespaces = BenchNamespaces(),
                progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.config = config; self.namespaces = namespaces; self.progress = progress
    }

    /// Checks what the bench needs before it starts: root, `ip`, and each backend's tools.
    /// Throws `BenchError` naming what is missing.
    public static func preflight(_ backends: [BenchBackend], euid: UInt32 = geteuid(),
                                 exists: (String) -> Bool = ToolProcess.exists) throws {
        guard euid == 0 else {
            throw BenchError("switchyard bench needs root: it creates throwaway network namespaces (ip netns add) and programs the kernel inside them. Run it with sudo.")
        }
        var needed = ["ip"]
        for b in backends {
            switch b {
            case .nftables: needed.append("nft")
            case .iptables: needed += ["iptables", "iptables-restore", "ip6tables-restore", "iptables-save", "ipset"]
            }
        }
        let missing = needed.filter { !exists($0) }
        guard missing.isEmpty else { throw BenchError("switchyard bench: required tools not found in PATH: \(missing.joined(separator: ", "))") }
    }

    /// `XTABLES_LOCKFILE` for the iptables tools: private to this run, removed at the end.
    var lockFile: String { NSTemporaryDirectory() + "\(namespaces.prefix)xtables.lock" }

    /// Every (backend, size) in order. A failing pair yields a row with `error` set and the rest nil.
    public func run() async -> [BenchResult] {
        defer { try? FileManager.default.removeItem(atPath: lockFile) }
        var results: [BenchResult] = []
        for size in config.services {
            for backend in config.backends {
                var r = BenchResult(backend: backend.rawValue, services: size, endpointsPerService: config.endpointsPerService)
                do { try await measure(backend, size: size, into: &r) } catch {
                    r.error = "\(error)"
                    progress("[\(backend.rawValue) \(size)] failed: \(error)")
                }
                r.rssPeakBytes = Self.peakRSS()
                r.build = Self.buildMode
                results.append(r)
            }
        }
        return results
    }

    /// Writes results.json, report.md and sync-latency.svg into `config.outDir`; returns their paths.
    public func write(_ results: [BenchResult]) throws -> [String] {
        let dir = URL(fileURLWithPath: config.outDir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName + ", kernel " + Self.kernelRelease()
            + ", \(ProcessInfo.processInfo.activeProcessorCount) CPUs, \(Self.buildMode) build"
        let files = [("results.json", BenchReport.json(results)),
                     ("report.md", BenchReport.markdown(results, config: config, host: host)),
                     ("sync-latency.svg", SVGChart.syncLatency(results))]
        return try files.map { name, text in
            let url = dir.appendingPathComponent(name)
            try Data(text.utf8).write(to: url)
            return url.path
        }
    }

    /// How this module was compiled.
    public static var buildMode: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    /// The process's peak resident set in bytes (Linux reports ru_maxrss in KiB).
    public static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    static func kernelRelease() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    // MARK: - One backend at one size

    private func measure(_ backend: BenchBackend, size: Int, into r: inout BenchResult) async throws {
        let tag = "[\(backend.rawValue) \(size)×\(config.endpointsPerService)]"
        progress("\(tag) generating cluster")
        let cluster = SyntheticCluster(seed: config.seed, services: size, endpointsPerService: config.endpointsPerService)
        var tracker = ProxyStateTracker(config: NodeConfig(nodeName: cluster.nodeName, clusterCIDRs: [
            CIDR(SyntheticCluster.clusterCIDR)!, CIDR(SyntheticCluster.clusterCIDRv6)!]))
        let events = cluster.objects().map { ObjectEvent.upsert($0) }
        progress("\(tag) model")
        let (state, model) = timed { () -> ProxyState in _ = tracker.apply(events); return tracker.commit().state }
        r.modelSeconds = model
        let backendRun = BackendRun(backend: backend, lockFile: lockFile)
        progress("\(tag) render")
        r.renderSeconds = timed { backendRun.renderFullSize(state) }.1

        var endpointDeltas: [[RenderedPart]] = []
        try await namespaces.with("sync") { ns in
            let applier = backendRun.applier(netns: ns)
            progress("\(tag) cold sync")
            let (report, wall) = try await timedAsync { try await applier.applyFull(state) }
            r.coldSyncSeconds = model + wall
            r.applySeconds = report.kernelSeconds
            r.rules = report.rulesWritten; r.elements = report.elementsWritten; r.fullTextBytes = report.bytes
            var current = state
            for (k, kind) in [ChurnGenerator.Kind.endpointChange, .serviceAdd, .serviceRemove].enumerated() {
                progress("\(tag) incremental \(kind.rawValue) ×\(config.runs)")
                var churn = ChurnGenerator(cluster: cluster, kind: kind, seed: config.seed &+ UInt64(k + 1))
                var samples: [Double] = []
                for _ in 0..<config.runs {
                    let change = churn.nextChange()
                    let start = ContinuousClock.now
                    _ = tracker.apply(change)
                    let ch = tracker.commit()
                    let diff = StateDiff.between(old: ch.previous, new: ch.state, services: ch.changedServices, nodeChanged: ch.nodeChanged)
                    _ = try await applier.applyIncremental(diff, state: ch.state)
                    samples.append((ContinuousClock.now - start).seconds)
                    if kind == .endpointChange { endpointDeltas.append(backendRun.incrementalParts(diff, state: ch.state)) }
                    current = ch.state
                }
                switch kind {
                case .endpointChange: r.endpointChangeP50 = Percentile.of(samples, 50); r.endpointChangeP99 = Percentile.of(samples, 99)
                case .serviceAdd: r.serviceAddP50 = Percentile.of(samples, 50); r.serviceAddP99 = Percentile.of(samples, 99)
                case .serviceRemove: r.serviceRemoveP50 = Percentile.of(samples, 50); r.serviceRemoveP99 = Percentile.of(samples, 99)
                default: break
                }
            }
            _ = current
        }

        try await namespaces.with("floor") { ns in
            progress("\(tag) kernel floor (tools fed directly)")
            let full = try backendRun.fullParts(state, netns: ns)
            r.kernelFloorColdSeconds = try backendRun.feed(full, netns: ns)
            var floors: [Double] = []
            for delta in endpointDeltas where !delta.isEmpty { floors.append(try backendRun.feed(delta, netns: ns)) }
            r.kernelFloorChangeSeconds = Percentile.of(floors, 50)
        }
        progress("\(tag) done")
    }
}

func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let v = try body()
    return (v, (ContinuousClock.now - start).seconds)
}

func timedAsync<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let v = try await body()
    return (v, (ContinuousClock.now - start).seconds)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
