import Apply
import ArgumentParser
import Foundation
import Logging
import Model
import ProxyConfig

/// `switchyard run`: programs the kernel for this node. Without `--once` it is the daemon (kube-proxy's
/// job): watch the API (or load manifests), sync on changes and periodically, serve metrics and health,
/// and on SIGTERM/SIGINT exit 0 leaving the rules in place. With `--once`: one full sync, then exit.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Program this node's service rules (the kube-proxy daemon).",
        discussion: """
            Objects come from --manifests (loaded once, synced immediately), else the API server: \
            --kubeconfig (or clientConnection.kubeconfig in --config) and/or --master, else the in-cluster \
            service account when KUBERNETES_SERVICE_HOST is set. --config takes a KubeProxyConfiguration \
            (kubeproxy.config.k8s.io/v1alpha1, YAML or JSON); flags override it. Durations use Go syntax \
            (30s, 1m0s, 500ms). On SIGTERM/SIGINT the daemon stops and leaves the rules in place; \
            `switchyard cleanup` removes them.
            --once: load the manifests (default: the embedded example), apply one full sync (replacing the \
            rules of any earlier run), print a summary and exit.
            """)

    @Option(name: [.customLong("backend"), .customLong("proxy-mode")], help: "nftables, iptables or ipvs. Default: the config file's mode, else nftables.")
    var backend: BackendName?

    @Flag(help: "Apply one full sync and exit.")
    var once = false

    @Option(name: .customLong("config"), help: "A KubeProxyConfiguration file (YAML or JSON).")
    var config: String?

    @Option(name: .customLong("kubeconfig"), help: "Kubeconfig for the API server.")
    var kubeconfig: String?

    @Option(name: .customLong("master"), help: "API server URL (overrides the kubeconfig's server).")
    var master: String?

    @Option(name: .customLong("sync-period"), help: "Full resync interval (default 30s).")
    var syncPeriod: String?

    @Option(name: .customLong("min-sync-period"), help: "Minimum time between syncs; bursts are coalesced (default 1s).")
    var minSyncPeriod: String?

    @Option(name: .customLong("healthz-bind-address"), help: "IP:port for /healthz and /livez (default 0.0.0.0:10256).")
    var healthzBindAddress: String?

    @Option(name: .customLong("metrics-bind-address"), help: "IP:port for /metrics (default 127.0.0.1:10249).")
    var metricsBindAddress: String?

    @Option(name: .customLong("v"), help: "klog-style verbosity: 0-3 info, 4 debug, 5+ trace.")
    var verbosity: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (overrides --v).")
    var logLevel: String?

    @OptionGroup var proxy: ProxyOptions

    @OptionGroup var applierOptions: ApplierOptions

    /// glibc malloc arenas for the daemon (see `ProcessMemory.limitArenas`); `MALLOC_ARENA_MAX` overrides.
    static let mallocArenas: Int32 = 2

    var flags: DaemonSettings.Flags {
        DaemonSettings.Flags(backend: backend, config: config, kubeconfig: kubeconfig, master: master,
                             syncPeriod: syncPeriod, minSyncPeriod: minSyncPeriod,
                             healthzBindAddress: healthzBindAddress, metricsBindAddress: metricsBindAddress)
    }

    func validate() throws {
        if let backend { try Appliers.requireAvailable(backend) }
        do { _ = try LogfmtHandler.level(logLevel: logLevel, verbosity: verbosity) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        if once { return try await runOnce() }
        ProcessMemory.limitArenas(to: Self.mallocArenas)
        let level = try LogfmtHandler.level(logLevel: logLevel, verbosity: verbosity)
        LoggingSystem.bootstrap { label in LogfmtHandler(label: label, level: level) }
        var logger = Logger(label: "switchyard")
        logger.logLevel = level
        let settings = try DaemonSettings.resolve(flags: flags, proxy: proxy)
        try Appliers.requireAvailable(settings.backend)
        do {
            try await Daemon(settings: settings, applierOptions: applierOptions, logger: logger).run()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }

    private func runOnce() async throws {
        var file: ProxyConfigFile?
        if let config {
            do { file = try ProxyConfigFile.load(path: config) } catch { throw ValidationError("--config \(config): \(error)") }
            for w in file?.warnings ?? [] { StandardError.print("config file: \(w)") }
        }
        let backend = self.backend ?? file?.mode.flatMap { BackendName(rawValue: $0.rawValue) } ?? .nftables
        try Appliers.requireAvailable(backend)
        let applier = try Appliers.make(backend, options: applierOptions)
        let state: ProxyState
        do {
            state = try StateLoader(options: proxy, file: file, mode: ProxyMode(rawValue: backend.rawValue) ?? .nftables).loadState()
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let report: ApplyReport
        do {
            report = try await applier.applyFull(state)
        } catch {
            StandardError.print("switchyard run: \(error)")
            throw ExitCode.failure
        }
        print(Self.summary(backend: backend, state: state, report: report))
    }

    /// The one-line summary printed after a successful apply.
    static func summary(backend: BackendName, state: ProxyState, report: ApplyReport) -> String {
        let counts = state.counts
        let ms = String(format: "%.1f", report.kernelSeconds * 1000)
        return "applied \(backend.rawValue) full sync for node \(state.config.nodeName): \(counts.ports) service ports, "
            + "\(counts.endpoints) endpoints; \(report.rulesWritten) rules, \(report.elementsWritten) elements, "
            + "\(report.bytes) bytes in \(ms) ms"
    }
}
