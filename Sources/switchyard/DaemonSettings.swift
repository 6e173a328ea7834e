import ArgumentParser
import Foundation
import KubeClient
import Model
import Observability
import ProxyConfig
import Sync

/// Everything the daemon needs, resolved from flags, the KubeProxyConfiguration file and defaults
/// (flags win over the file, the file over defaults).
struct DaemonSettings {
    /// Where objects come from.
    enum Source {
        /// Manifest files, loaded once and treated as synced immediately.
        case manifests([String])
        /// The Kubernetes API; `origin` says how it was configured (for the log).
        case api(KubeClientConfig, origin: String)
    }

    var backend: BackendName
    var node: NodeConfig
    var schedule: SyncSchedule
    var observability: ObservabilityConfig
    var source: Source
    /// Unknown config-file fields (logged as warnings) and accepted-but-unapplied ones (logged as info).
    var configWarnings: [String] = []
    var configNotes: [String] = []

    static let defaultSyncPeriod: TimeInterval = 30
    static let defaultMinSyncPeriod: TimeInterval = 1

    /// The daemon flags as given (nil: not given).
    struct Flags {
        var backend: BackendName?
        var config: String?
        var kubeconfig: String?
        var master: String?
        var syncPeriod: String?
        var minSyncPeriod: String?
        var healthzBindAddress: String?
        var metricsBindAddress: String?
    }

    /// Reads the config file (if any) and the flags; throws `ValidationError` naming the bad flag or field.
    static func resolve(flags: Flags, proxy: ProxyOptions,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DaemonSettings {
        var file: ProxyConfigFile?
        if let path = flags.config {
            do { file = try ProxyConfigFile.load(path: path) } catch { throw ValidationError("--config \(path): \(error)") }
        }
        let backend = flags.backend ?? file?.mode.flatMap { BackendName(rawValue: $0.rawValue) } ?? .nftables
        let mode = ProxyMode(rawValue: backend.rawValue) ?? .nftables
        let section = file?.settings(for: mode) ?? ProxyConfigFile.ModeSettings()
        let syncPeriod = try duration(flags.syncPeriod, flag: "--sync-period") ?? section.syncPeriod ?? defaultSyncPeriod
        let minSync = try duration(flags.minSyncPeriod, flag: "--min-sync-period") ?? section.minSyncPeriod ?? defaultMinSyncPeriod
        guard syncPeriod > 0 else { throw ValidationError("--sync-period must be greater than zero") }
        let health = try bind(flags.healthzBindAddress, flag: "--healthz-bind-address", defaultPort: 10256)
            ?? file?.healthzBindAddress ?? BindAddress(host: "0.0.0.0", port: 10256)
        let metrics = try bind(flags.metricsBindAddress, flag: "--metrics-bind-address", defaultPort: 10249)
            ?? file?.metricsBindAddress ?? BindAddress(host: "127.0.0.1", port: 10249)
        let node = try proxy.nodeConfig(file: file, mode: mode)
        let source = try resolveSource(flags: flags, proxy: proxy, file: file, environment: environment)
        return DaemonSettings(
            backend: backend, node: node,
            schedule: SyncSchedule(minSyncPeriod: minSync, syncPeriod: syncPeriod),
            observability: ObservabilityConfig(metricsHost: metrics.host, metricsPort: metrics.port,
                                               healthHost: health.host, healthPort: health.port,
                                               healthTimeout: 2 * syncPeriod),
            source: source, configWarnings: file?.warnings ?? [], configNotes: file?.notes ?? [])
    }

    /// kube-proxy's order: `--manifests` (Switchyard only), else an explicit kubeconfig and/or
    /// `--master`, else in-cluster (KUBERNETES_SERVICE_HOST).
    static func resolveSource(flags: Flags, proxy: ProxyOptions, file: ProxyConfigFile?,
                              environment: [String: String]) throws -> Source {
        let master = try flags.master.map { text -> URL in
            guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ValidationError("--master must be a URL like https://10.0.0.1:6443, not '\(text)'")
            }
            return url
        }
        if !proxy.manifests.isEmpty { return .manifests(proxy.manifests) }
        let kubeconfig = flags.kubeconfig ?? file?.kubeconfig
        var config: KubeClientConfig
        var origin: String
        do {
            if let kubeconfig {
                config = try KubeClientConfig.kubeconfig(path: kubeconfig)
                origin = "kubeconfig \(kubeconfig)"
            } else if let master {
                return .api(KubeClientConfig(server: master, warnings: ["--master without --kubeconfig: no credentials"]),
                            origin: "--master")
            } else if environment["KUBERNETES_SERVICE_HOST"].map({ !$0.isEmpty }) ?? false {
                config = try KubeClientConfig.inCluster(environment: environment)
                origin = "in-cluster service account"
            } else {
                throw ValidationError("no object source: pass --kubeconfig (or clientConnection.kubeconfig in --config), "
                                      + "--master, or --manifests, or run in a pod (KUBERNETES_SERVICE_HOST)")
            }
        } catch let error as KubeConfigError {
            throw ValidationError("\(error)")
        }
        if let master {
            config.server = master
            origin += " (server overridden by --master)"
        }
        return .api(config, origin: origin)
    }

    static func duration(_ text: String?, flag: String) throws -> TimeInterval? {
        guard let text else { return nil }
        guard let seconds = GoDuration.parse(text), seconds >= 0 else {
            throw ValidationError("\(flag) must be a non-negative duration like 30s, 1m0s or 500ms, not '\(text)'")
        }
        return seconds
    }

    static func bind(_ text: String?, flag: String, defaultPort: Int) throws -> BindAddress? {
        guard let text else { return nil }
        guard let b = BindAddress.parse(text, defaultPort: defaultPort) else {
            throw ValidationError("\(flag) must be IP:port (like 0.0.0.0:\(defaultPort)), not '\(text)'")
        }
        return b
    }
}
