import Foundation
import Model

/// The proxy under test as its own process: `switchyard run` started inside a bench namespace
/// (`ip netns exec`), so it programs that namespace only, with its log lines streamed back. Its
/// memory is its own: `peakRSSBytes()` reads the kernel's high-water mark of its resident set.
final class ProxyDaemon: @unchecked Sendable {
    let process: Process
    /// Every log line as it arrives (`finish()`ed when the daemon's output closes).
    let lines: Expectations<String>
    private let namespaces: BenchNamespaces
    private let recent = LogTail()

    /// The daemon's command line: `backend` in `netns`, watching `kubeconfig`'s API server as
    /// `node`, min-sync-period 0 (every change synced at once, as the bench's in-process runs do),
    /// a periodic full resync far beyond the run, health and metrics on the namespace's loopback.
    static func arguments(switchyard: String, netns: String, backend: BenchBackend, kubeconfig: String,
                          node: NodeConfig, iptablesVariant: String) -> [String] {
        var argv = ["ip", "netns", "exec", netns, switchyard, "run", "--backend", backend.rawValue,
                    "--kubeconfig", kubeconfig, "--node", node.nodeName,
                    "--min-sync-period", "0s", "--sync-period", "1h",
                    "--healthz-bind-address", "127.0.0.1:10256", "--metrics-bind-address", "127.0.0.1:10249"]
        for cidr in node.clusterCIDRs { argv += ["--cluster-cidr", "\(cidr)"] }
        if backend != .nftables { argv += ["--iptables-variant", iptablesVariant] }
        return argv
    }

    /// Starts the daemon; its lines go to `lines` (register what to wait for before, so nothing is missed).
    init(_ argv: [String], namespaces: BenchNamespaces, lines: Expectations<String> = Expectations()) throws {
        self.namespaces = namespaces; self.lines = lines
        let recent = self.recent
        process = try namespaces.spawnStreaming(argv, line: { line in
            recent.append(line)
            lines.offer(line)
        }, ended: { lines.finish() })
    }

    var pid: Int32 { process.processIdentifier }

    /// The daemon's peak resident set (`VmHWM` of /proc/PID/status), while it runs.
    func peakRSSBytes() -> Int? {
        (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)).flatMap(Self.vmHWM(status:))
    }

    /// `VmHWM:   123456 kB` → bytes.
    static func vmHWM(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 3, fields[2].lowercased() == "kb", let kib = Int(fields[1]) else { return nil }
        return kib * 1024
    }

    /// The last log lines (for error messages).
    var tail: String { recent.lines.suffix(8).joined(separator: " | ") }

    /// Stops and reaps it.
    func stop() { namespaces.stop(process) }

    /// The daemon's value of `key=` in a logfmt line (quotes stripped), or nil.
    static func field(_ key: String, in line: String) -> String? {
        guard let r = line.range(of: " \(key)=") else { return nil }
        var value = line[r.upperBound...]
        if value.hasPrefix("\"") {
            value = value.dropFirst()
            return String(value.prefix { $0 != "\"" })
        }
        return String(value.prefix { $0 != " " })
    }

    /// The last 32 lines.
    private final class LogTail: @unchecked Sendable {
        private let lock = NSLock()
        private var kept: [String] = []
        var lines: [String] { lock.withLock { kept } }
        func append(_ line: String) {
            lock.withLock { kept.append(line); if kept.count > 32 { kept.removeFirst(kept.count - 32) } }
        }
    }
}
