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
import TestCluster

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

    /// The `switchyard` binary the first-packet probes run (`echo-server`, `probe`); nil: found
    /// by `SwitchyardExecutable.locate()`.
    public let switchyardExecutable: String?

    public init(config: BenchConfig, namespaces: BenchNamespaces = BenchNamespaces(), switchyardExecutable: String? = nil,
                progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.config = config; self.namespaces = namespaces; self.progress = progress
        self.switchyardExecutable = switchyardExecutable
    }

    /// Checks what the bench needs before it starts: root, `ip`, and each backend's tools (IPVS on
    /// the host: the UML kernel and `scripts/uml-run`; inside the guest: ipset and iptables).
    /// Throws `BenchError` naming what is missing.
    public static func preflight(_ backends: [BenchBackend], euid: UInt32 = geteuid(),
                                 exists: (String) -> Bool = ToolProcess.exists,
                                 inGuest: Bool = UMLBench.inGuest,
                                 umlRun: @autoclosure () -> String? = UMLBench.locateUMLRun(switchyard: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path),
                                 umlKernelExists: @autoclosure () -> Bool = FileManager.default.isExecutableFile(atPath: UMLBench.umlKernel)) throws {
        guard euid == 0 else {
            throw BenchError("switchyard bench needs root: it creates throwaway network namespaces (ip netns add) and programs the kernel inside them. Run it with sudo.")
        }
        var needed = ["ip", "sysctl"]
        for b in backends {
            switch b {
            case .nftables: needed.append("nft")
            case .iptables: needed += ["iptables", "iptables-restore", "ip6tables-restore", "iptables-save", "ipset"]
            case .ipvs:
                if inGuest { needed += ["iptables-legacy", "iptables-legacy-restore", "ip6tables-legacy-restore", "ipset"]; continue }
                guard umlKernelExists() else {
                    throw BenchError("switchyard bench: IPVS runs inside User-Mode Linux (this kernel has no IPVS), and the UML kernel \(UMLBench.umlKernel) is missing (apt-get install user-mode-linux, or set UML_KERNEL)")
                }
                guard umlRun() != nil else {
                    throw BenchError("switchyard bench: IPVS runs inside User-Mode Linux via scripts/uml-run, which was not found (run from the checkout, or set SWITCHYARD_UML_RUN)")
                }
            }
        }
        let missing = needed.filter { !exists($0) }
        guard missing.isEmpty else { throw BenchError("switchyard bench: required tools not found in PATH: \(missing.joined(separator: ", "))") }
    }

    /// `XTABLES_LOCKFILE` for the iptables tools: private to this run, removed at the end.
    var lockFile: String { NSTemporaryDirectory() + "\(namespaces.prefix)xtables.lock" }

    /// Every (backend, size) in order (with `--manifests`: every backend once, on the dump). A
    /// failing step sets the row's `error` and leaves that step's figures nil; the other steps run.
    public func run() async -> [BenchResult] {
        namespaces.addScratch(lockFile)
        defer { namespaces.removeScratch(lockFile) }
        var clusters: [(Int, Int, BenchCluster)] = []
        if let path = config.manifests {
            do {
                let replay = try ReplayCluster.load(path)
                for d in replay.diagnostics.prefix(20) { progress("manifests: \(d)") }
                let endpoints = replay.objects.reduce(0) { n, o in
                    if case .endpointSlice(let s) = o { return n + (s.endpoints?.count ?? 0) } else { return n }
                }
                let eps = Int((Double(endpoints) / Double(replay.serviceCount)).rounded())
                clusters.append((replay.serviceCount, eps, BenchCluster(origin: .replay(replay))))
            } catch {
                var r = BenchResult(backend: config.backends.first?.rawValue ?? "", services: 0, endpointsPerService: 0)
                r.error = "\(error)"; r.source = "manifests:\(path)"
                progress("\(error)")
                return [r]
            }
        } else {
            for size in config.services {
                let c = SyntheticCluster(seed: config.seed, services: size, endpointsPerService: config.endpointsPerService)
                clusters.append((size, config.endpointsPerService, BenchCluster(origin: .synthetic(c))))
            }
        }
        // IPVS rows from a UML guest (all sizes in one boot), unless this already is the guest.
        var guestRows: [BenchResult] = []
        if config.backends.contains(.ipvs), !UMLBench.inGuest {
            do {
                let exe = try switchyardExecutable ?? SwitchyardExecutable.locate()
                guard let umlRun = UMLBench.locateUMLRun(switchyard: exe) else { throw BenchError("ipvs: scripts/uml-run not found") }
                guestRows = try UMLBench(config: config, switchyard: exe, umlRun: umlRun, namespaces: namespaces, progress: progress).run()
            } catch {
                progress("\(error)")
                guestRows = clusters.map { size, eps, cluster in
                    var r = BenchResult(backend: BenchBackend.ipvs.rawValue, services: size, endpointsPerService: eps)
                    r.source = cluster.source; r.addError("\(error)")
                    return r
                }
            }
        }
        var results: [BenchResult] = []
        for (size, eps, cluster) in clusters {
            for backend in config.backends {
                if backend == .ipvs, !UMLBench.inGuest {
                    if let row = guestRows.first(where: { $0.services == size }) { results.append(row) } else {
                        var r = BenchResult(backend: backend.rawValue, services: size, endpointsPerService: eps)
                        r.addError("ipvs: the UML guest returned no row for \(size) services")
                        results.append(r)
                    }
                    continue
                }
                var r = BenchResult(backend: backend.rawValue, services: size, endpointsPerService: eps)
                r.source = cluster.source
                do { try await measure(backend, cluster: cluster, into: &r) } catch {
                    r.addError("\(error)")
                    progress("[\(backend.rawValue) \(size)] failed: \(error)")
                }
                r.benchProcessRSSPeakBytes = Self.peakRSS()
                r.build = Self.buildMode
                results.append(r)
            }
        }
        namespaces.parkIfInterrupted()
        return results
    }

    /// Checks a `--manifests` dump before anything starts; throws `BenchError` when it cannot be
    /// read or holds no Service.
    public static func checkManifests(_ path: String) throws { _ = try ReplayCluster.load(path) }

    /// Writes results.json, report.md, sync-latency.svg and first-packet.svg into `config.outDir`; returns their paths.
    public func write(_ results: [BenchResult]) throws -> [String] {
        namespaces.parkIfInterrupted()
        let dir = URL(fileURLWithPath: config.outDir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName + ", kernel " + Self.kernelRelease()
            + ", \(ProcessInfo.processInfo.activeProcessorCount) CPUs, \(Self.buildMode) build"
        let files = [("results.json", BenchReport.json(results)),
                     ("report.md", BenchReport.markdown(results, config: config, host: host)),
                     ("sync-latency.svg", SVGChart.syncLatency(results)),
                     ("first-packet.svg", SVGChart.firstPacket(results))]
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

    private func measure(_ backend: BenchBackend, cluster: BenchCluster, into r: inout BenchResult) async throws {
        let tag = "[\(backend.rawValue) \(r.services)×\(r.endpointsPerService)]"
        progress("\(tag) generating cluster")
        let nodeConfig = cluster.nodeConfig
        var tracker = ProxyStateTracker(config: nodeConfig)
        let objects = cluster.objects
        let events = objects.map { ObjectEvent.upsert($0) }
        progress("\(tag) model")
        let (state, model) = timed { () -> ProxyState in _ = tracker.apply(events); return tracker.commit().state }
        r.modelSeconds = model
        let backendRun = BackendRun(backend: backend, lockFile: lockFile)
        progress("\(tag) render")
        r.renderSeconds = timed { backendRun.renderFullSize(state) }.1

        var endpointDeltas: [[RenderedPart]] = []
        // What the floor's namespace will hold before the deltas: the full load of `state`.
        var floorRecord = FloorRecord()
        if backend == .nftables { floorRecord.nft = floorRecord.nft.applying(floorRecord.nftRenderer.renderFull(state).transaction) }
        try await namespaces.with("sync") { ns in
            let applier = backendRun.applier(netns: ns)
            progress("\(tag) cold sync")
            let (report, wall) = try await timedAsync { try await applier.applyFull(state) }
            r.coldSyncSeconds = model + wall
            r.applySeconds = report.kernelSeconds
            r.rules = report.rulesWritten; r.elements = report.elementsWritten; r.fullTextBytes = report.bytes
            await measureFirstPacket(state, proxy: ns, tag: tag, into: &r)
            for (k, kind) in [ChurnGenerator.Kind.endpointChange, .serviceAdd, .serviceRemove].enumerated() {
                progress("\(tag) incremental \(kind.rawValue) ×\(config.runs)")
                var churn = cluster.changes(kind, seed: config.seed &+ UInt64(k + 1))
                var samples: [Double] = []
                for _ in 0..<config.runs {
                    let change = churn.nextChange()
                    let start = ContinuousClock.now
                    _ = tracker.apply(change)
                    let ch = tracker.commit()
                    let diff = StateDiff.between(old: ch.previous, new: ch.state, services: ch.changedServices, nodeChanged: ch.nodeChanged)
                    _ = try await applier.applyIncremental(diff, state: ch.state)
                    samples.append((ContinuousClock.now - start).seconds)
                    if kind == .endpointChange { endpointDeltas.append(backendRun.incrementalParts(diff, state: ch.state, record: &floorRecord)) }
                }
                switch kind {
                case .endpointChange: r.endpointChangeP50 = Percentile.of(samples, 50); r.endpointChangeP99 = Percentile.of(samples, 99)
                case .serviceAdd: r.serviceAddP50 = Percentile.of(samples, 50); r.serviceAddP99 = Percentile.of(samples, 99)
                case .serviceRemove: r.serviceRemoveP50 = Percentile.of(samples, 50); r.serviceRemoveP99 = Percentile.of(samples, 99)
                default: break
                }
            }
            if config.churnSeconds > 0 {
                progress("\(tag) sustained churn (\(config.churnSeconds) s per rate, p99 bound \(BenchReport.seconds(config.churnBound)))")
                var churn = cluster.changes(.mixed, seed: config.seed &+ 7)
                let ramp = SustainedChurn(rates: SustainedChurn.defaultRates, seconds: config.churnSeconds, bound: config.churnBound)
                do {
                    let steps = try await ramp.run(tracker: &tracker, churn: &churn, applier: applier)
                    let held = steps.last { $0.held }, missed = steps.first { !$0.held }
                    r.churnHeldPerSecond = held?.rate ?? 0
                    r.churnP99AtHeld = held?.p99
                    r.churnMissedPerSecond = missed?.rate
                    r.churnP99AtMissed = missed.map(\.p99)
                    for st in steps { progress("\(tag)   \(st.rate)/s: p99 \(BenchReport.seconds(st.p99)) over \(st.changes) changes in \(st.syncs) syncs\(st.held ? "" : " (not held)")") }
                } catch { r.addError("churn: \(error)"); progress("\(tag) churn failed: \(error)") }
            }
        }

        if config.npl {
            progress("\(tag) network programming latency and proxy RSS: switchyard run against the test API server ×\(config.runs)")
            do {
                try await namespaces.with("npl") { ns in
                    var changes = cluster.changes(.endpointChange, seed: config.seed &+ 11)
                    let npl = NetworkProgrammingLatency(objects: objects, nodeConfig: nodeConfig, runs: config.runs, backend: backend,
                                                        switchyard: try switchyardExecutable ?? SwitchyardExecutable.locate(),
                                                        iptablesVariant: backendRun.variant.rawValue)
                    let outcome = try await npl.measure(netns: ns, namespaces: namespaces, changes: &changes)
                    r.nplP50 = Percentile.of(outcome.samples, 50); r.nplP99 = Percentile.of(outcome.samples, 99)
                    r.nplFirstAfterInitialSync = outcome.firstAfterInitialSync
                    r.rssPeakBytes = outcome.peakRSSBytes
                    r.rssAfterInitialSyncBytes = outcome.rssAfterInitialSyncBytes
                }
            } catch { r.addError("npl: \(error)"); progress("\(tag) npl failed: \(error)") }
        }

        if backend == .ipvs, let missing = ["ipvsadm", "ip", "ipset"].first(where: { !ToolProcess.exists($0) }) {
            r.addError("floor: \(missing) not found (apt-get install ipvsadm ipset iproute2); kernel floor left null")
            progress("\(tag) done (no kernel floor: \(missing) not found)")
            return
        }
        try await namespaces.with("floor") { ns in
            progress("\(tag) kernel floor (tools fed directly)")
            let full = try backendRun.fullParts(state, netns: ns)
            r.kernelFloorColdSeconds = try backendRun.feed(full, netns: ns, scratch: namespaces) { part, seconds in
                progress("\(tag)   floor: \(part.command.isEmpty ? part.name : part.command) (\(part.text.utf8.count) bytes) \(BenchReport.seconds(seconds))")
            }
            var floors: [Double] = []
            for delta in endpointDeltas where !delta.isEmpty { floors.append(try backendRun.feed(delta, netns: ns, scratch: namespaces)) }
            r.kernelFloorChangeSeconds = Percentile.of(floors, 50)
        }
        progress("\(tag) done")
    }

    /// First-packet latency against the rules of the cold sync (`state` in `proxy`).
    private func measureFirstPacket(_ state: ProxyState, proxy: String, tag: String, into r: inout BenchResult) async {
        guard config.probes > 0 else { return }
        do {
            let exe = try switchyardExecutable ?? SwitchyardExecutable.locate()
            let targets = FirstPacketProbe.pickTargets(state, count: min(20, config.probes))
            let perTarget = max(1, (config.probes + max(1, targets.count) - 1) / max(1, targets.count))
            progress("\(tag) first packet: \(targets.count) ClusterIPs × \(perTarget) connections")
            let probe = FirstPacketProbe(targets: targets, probesPerTarget: perTarget, switchyard: exe)
            let samples = try await probe.measure(proxy: proxy, namespaces: namespaces)
            r.firstPacketP50 = Percentile.of(samples, 50); r.firstPacketP99 = Percentile.of(samples, 99)
            r.firstPacketSamples = samples.count
        } catch { r.addError("first packet: \(error)"); progress("\(tag) first packet failed: \(error)") }
    }
}

extension BenchResult {
    /// Appends `message` to `error` (several steps can fail in one row).
    mutating func addError(_ message: String) {
        error = error.map { $0 + "; " + message } ?? message
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
