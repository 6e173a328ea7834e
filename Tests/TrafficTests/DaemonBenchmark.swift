import Foundation
import SwitchyardCore
import TestCluster
import Testing

/// Measurement, not a regression test: the daemon at 10,000 Services × 10 endpoints (nftables), fed by
/// the test API server. Runs only with SWITCHYARD_DAEMON_BENCH=1 (root). Prints:
/// - the initial full sync (log line),
/// - API change → applied latency over 50 changes: each change POSTs a new EndpointSlice (curl inside the
///   namespace) stamped with `endpoints.kubernetes.io/last-change-trigger-time` = the time just before
///   curl starts; the daemon logs now − trigger time when the sync that applied it finished,
/// - the incremental sync durations, and the daemon's RSS (VmRSS / VmHWM) after the initial sync and at
///   the end, plus its own memory figures once the initial listing was ingested (RSS, glibc heap in
///   use and free). Run with the release build: `SWITCHYARD_EXECUTABLE=.build/release/switchyard`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SWITCHYARD_DAEMON_BENCH"] == "1" && TestCluster.isSupported()))
struct DaemonBenchmark {
    static let services = 10_000
    static let endpointsPerService = 10
    static let changes = 50

    @Test("10k services × 10 endpoints: API change → kernel latency and RSS")
    func changeLatency() throws {
        try withTestCluster(TestClusterSpec(pods: [])) { cluster in
            let node = cluster.node(.a)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sy-dbench-\(cluster.prefix)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let manifest = dir.appendingPathComponent("cluster.json")
            try Data(Self.clusterJSON().utf8).write(to: manifest)
            let exe = try cluster.switchyardExecutable()

            let api = try cluster.spawn(in: node, [exe, "test-apiserver", "--dir", dir.path, "--preload", manifest.path])
            try #require(api.waitForOutput(containing: "listening", timeout: .seconds(300)), "\(api.errorOutput)")
            let url = try #require(api.output.split(separator: " ").dropFirst().first.map(String.init))

            let started = ContinuousClock.now
            let daemon = try cluster.spawn(in: node, [
                exe, "run", "--backend", "nftables", "--kubeconfig", dir.path + "/kubeconfig", "--node", "node-a",
                "--cluster-cidr", "10.244.0.0/16", "--min-sync-period", "1s", "--sync-period", "5m",
            ])
            defer { daemon.stop(grace: .seconds(10)) }
            let initial = waitForLine(daemon, containing: "services=\(Self.services)", timeout: .seconds(600))
            try #require(initial != nil, "initial sync: \(daemon.errorOutput.suffix(2000))")
            let startupSeconds = (ContinuousClock.now - started)
            let rssAfterInitial = Self.memory(pid: daemon.pid)

            let script = Self.changeScript(url: url, dir: dir.path)
            let result = try cluster.run(in: node, ["sh", "-c", script], timeout: .seconds(300)).check()
            #expect(result.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("201 ") }, "POST results: \(result.stdout)")
            Thread.sleep(forTimeInterval: 3)

            let lines = daemon.errorOutput.split(separator: "\n").filter { $0.contains("msg=\"sync done\"") }
            let latencies = lines.flatMap { Self.field("programming_latency_ms", in: $0).map { $0.split(separator: ",").compactMap { Double($0) } } ?? [] }
            let incremental = lines.filter { $0.contains("kind=incremental") }.compactMap { Self.field("duration_ms", in: $0).flatMap(Double.init) }
            let inDaemon = lines.filter { $0.contains("kind=incremental") }.compactMap { Self.field("queued_ms", in: $0).flatMap(Double.init) }
            let curl = result.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Double($0) }.map { $0 * 1000 } }
            let rssEnd = Self.memory(pid: daemon.pid)
            let listed = daemon.errorOutput.split(separator: "\n").first { $0.contains("initial listing complete") }.map(String.init) ?? ""
            print("""
                DAEMON BENCH \(Self.services) services x \(Self.endpointsPerService) endpoints (nftables, \(exe))
                  start → initial full sync done: \(startupSeconds)  line: \(initial ?? "")
                  API change → applied (ms, n=\(latencies.count)): p50 \(Self.percentile(latencies, 0.5)) p99 \(Self.percentile(latencies, 0.99)) max \(latencies.max() ?? 0)
                  incremental sync duration (ms, n=\(incremental.count)): p50 \(Self.percentile(incremental, 0.5)) p99 \(Self.percentile(incremental, 0.99))
                  in the daemon, change ingested → applied (ms, n=\(inDaemon.count)): p50 \(Self.percentile(inDaemon, 0.5)) p99 \(Self.percentile(inDaemon, 0.99))
                  curl's POST alone, start → response (ms, n=\(curl.count)): p50 \(Self.percentile(curl, 0.5)) p99 \(Self.percentile(curl, 0.99))
                  RSS after initial sync: \(rssAfterInitial)  at end: \(rssEnd)
                  initial listing ingested (before the first sync): \(Self.memoryFields(in: listed))
                """)
            #expect(latencies.count == Self.changes, "one latency per change: \(latencies.count)")
        }
    }

    private func waitForLine(_ p: RunningProcess, containing text: String, timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, p.isRunning {
            if let line = p.errorOutput.split(separator: "\n").first(where: { $0.contains(text) && $0.contains("sync done") }) {
                return String(line)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return nil
    }

    static func field(_ name: String, in line: Substring) -> String? {
        guard let r = line.range(of: " \(name)=") else { return nil }
        return String(line[r.upperBound...].prefix { $0 != " " }).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// `rss_mib=… heap_used_mib=… heap_free_mib=…` from a daemon log line.
    static func memoryFields(in line: String) -> String {
        ["rss_mib", "heap_used_mib", "heap_free_mib"].compactMap { k in field(k, in: Substring(line)).map { "\(k)=\($0)" } }
            .joined(separator: " ")
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s[min(s.count - 1, Int((Double(s.count) * p).rounded(.up)) - 1)]
    }

    static func memory(pid: Int32) -> String {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return "?" }
        return status.split(separator: "\n").filter { $0.hasPrefix("VmRSS") || $0.hasPrefix("VmHWM") }
            .map { $0.replacingOccurrences(of: "\t", with: "").replacingOccurrences(of: "  ", with: "") }.joined(separator: ", ")
    }

    /// Node node-a, then per service i: ClusterIP 10.96.x.y:80 and one slice of 10 endpoints (a fifth on node-a).
    static func clusterJSON() -> String {
        var items = [#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a"},"status":{"addresses":[{"type":"InternalIP","address":"192.0.2.10"}]}}"#]
        items.reserveCapacity(2 * services + 1)
        for i in 0..<services {
            let ip = "10.96.\(i / 250).\(i % 250 + 1)"
            items.append(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc-\#(i)","namespace":"default"},"spec":{"clusterIP":"\#(ip)","ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080}]}}"#)
            let eps = (0..<endpointsPerService).map { j -> String in
                let k = (i * endpointsPerService + j) % 60_000
                let nodeName = j % 5 == 0 ? "node-a" : "node-b"
                return #"{"addresses":["10.244.\#(k / 250).\#(k % 250 + 1)"],"conditions":{"ready":true},"nodeName":"\#(nodeName)"}"#
            }.joined(separator: ",")
            items.append(#"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"svc-\#(i)-a","namespace":"default","labels":{"kubernetes.io/service-name":"svc-\#(i)"}},"addressType":"IPv4","endpoints":[\#(eps)],"ports":[{"name":"http","protocol":"TCP","port":8080}]}"#)
        }
        return #"{"apiVersion":"v1","kind":"List","items":["# + items.joined(separator: ",\n") + "]}"
    }

    /// A shell loop run inside the namespace: stamp, POST a new slice with curl, wait 1.1 s (past min-sync-period).
    static func changeScript(url: String, dir: String) -> String {
        """
        for i in $(seq 0 \(changes - 1)); do
          svc=$((i * 199))
          t=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
          printf '{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"svc-%d-extra","namespace":"default","labels":{"kubernetes.io/service-name":"svc-%d"},"annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"%s"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.250.%d"],"conditions":{"ready":true},"nodeName":"node-b"}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}' $svc $svc $t $((i + 1)) > \(dir)/change.json
          curl -sk -o /dev/null -w '%{http_code} %{time_total}\\n' -H 'Authorization: Bearer switchyard-test' -H 'Content-Type: application/json' --data @\(dir)/change.json \(url)/apis/discovery.k8s.io/v1/namespaces/default/endpointslices
          sleep 1.1
        done
        """
    }
}
