import Foundation
import KubeObjects
import Model
import ProxyConfig
import SwitchyardCore
import Watch

/// Loads manifests (or the embedded example) and builds the proxy state for one node.
/// Skipped objects are reported on stderr, one line each.
struct StateLoader {
    var options: ProxyOptions
    /// A KubeProxyConfiguration whose values fill in what the flags leave unset.
    var file: ProxyConfigFile? = nil
    var mode: ProxyMode = .nftables

    /// Objects from `--manifests`, or the embedded example cluster when none are given.
    func loadEvents() throws -> [ObjectEvent] {
        if options.manifests.isEmpty {
            let result = ManifestDecoder.decode(ExampleCluster.yaml, source: "embedded example")
            report(result.diagnostics)
            return ObjectEvent.upserts(for: result.objects)
        }
        let load = try ManifestSource(paths: options.manifests).load()
        report(load.diagnostics)
        return load.events
    }

    /// The committed proxy state for the configured node.
    func loadState() throws -> ProxyState {
        var tracker = ProxyStateTracker(config: try options.nodeConfig(file: file, mode: mode))
        report(tracker.apply(try loadEvents()))
        return tracker.commit().state
    }

    func report(_ diagnostics: [Diagnostic]) {
        for d in diagnostics { StandardError.print(d.description) }
    }
}

/// Writes lines to stderr.
enum StandardError {
    static func print(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
