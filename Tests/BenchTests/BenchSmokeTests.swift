import Foundation
import Apply
import Synthetic
import Testing
@testable import Bench

/// The root smoke runs and the timing-sensitive churn test run one at a time: the bench's tool
/// calls block threads of the shared concurrency pool, which would stall a parallel timing test.
@Suite(.serialized) struct BenchSerialTests {}

extension BenchSerialTests {
/// The real bench, small: 200 services × 2 endpoints, nftables, 3 runs, 20 first-packet probes
/// through real namespaces, a short churn ramp and the API-server path (root only; skipped otherwise;
/// needs the `switchyard` binary built next to the tests for the probes).
@Suite(.enabled(if: geteuid() == 0 && ToolProcess.exists("nft") && ToolProcess.exists("ip")))
struct BenchSmokeTests {
    func run(_ backends: String, manifests: String? = nil) async throws -> [[String: Any]] {
        let out = NSTemporaryDirectory() + "sy-bench-smoke-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = try BenchConfig.validated(services: "200", endpointsPerService: 2, backends: backends,
                                               seed: 5, runs: 3, outDir: out, probes: 20, churnSeconds: 0.3,
                                               churnBound: 0.5, manifests: manifests)
        let namespaces = BenchNamespaces()
        defer { namespaces.deleteAll() }
        let runner = BenchRunner(config: config, namespaces: namespaces)
        let results = await runner.run()
        _ = try runner.write(results)
        #expect(namespaces.leftovers().isEmpty)
        for file in ["report.md", "sync-latency.svg", "first-packet.svg"] { #expect(FileManager.default.fileExists(atPath: out + "/" + file)) }
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(root["results"] as? [[String: Any]])
    }

    @Test func smallNftablesRunWritesSaneResultsAndLeavesNoNamespace() async throws {
        let rows = try await run("nftables")
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        for key in BenchResult.requiredKeys { #expect(row.keys.contains(key), "missing \(key)") }
        #expect(row["error"] is NSNull, "\(row["error"] ?? "")")
        #expect(row["backend"] as? String == "nftables")
        #expect(row["build"] as? String == BenchRunner.buildMode)
        #expect(row["services"] as? Int == 200)
        #expect(row["endpoints_per_service"] as? Int == 2)
        let seconds = ["cold_sync_s", "render_s", "apply_s", "kernel_floor_cold_s", "endpoint_change_p50_s",
                       "endpoint_change_p99_s", "service_add_p99_s", "service_remove_p99_s", "kernel_floor_change_s",
                       "npl_p99_s", "first_packet_p50_s", "first_packet_p99_s"]
        for key in seconds {
            let v = try #require(row[key] as? Double, "\(key) not a number")
            #expect(v > 0 && v < 60, "\(key) = \(v)")
        }
        #expect((row["endpoint_change_p50_s"] as? Double ?? 1) <= (row["endpoint_change_p99_s"] as? Double ?? 0))
        #expect((row["render_s"] as? Double ?? 1) < (row["cold_sync_s"] as? Double ?? 0))
        // The daemon's own peak (VmHWM of `switchyard run`), and the bench process's beside it.
        let rss = row["rss_peak_bytes"] as? Int ?? 0
        #expect(rss > 1_000_000)
        #expect((row["rss_after_initial_sync_bytes"] as? Int ?? .max) <= rss)
        #expect((row["bench_process_rss_peak_bytes"] as? Int ?? 0) > 1_000_000)
        #expect((row["elements"] as? Int ?? 0) > 200)
        #expect((row["first_packet_p50_s"] as? Double ?? 1) <= (row["first_packet_p99_s"] as? Double ?? 0))
        #expect((row["first_packet_p99_s"] as? Double ?? 1) < 0.5)
        #expect((row["first_packet_samples"] as? Int ?? 0) >= 10)
        #expect((row["churn_held_per_s"] as? Int ?? -1) >= 0)
        #expect(row["source"] as? String == "synthetic")
    }

    @Test(.enabled(if: ToolProcess.exists("iptables-restore") && ToolProcess.exists("ipset")))
    func iptablesRowMeasuresFirstPacketThroughItsRules() async throws {
        let rows = try await run("iptables")
        let row = try #require(rows.first)
        #expect(row["error"] is NSNull, "\(row["error"] ?? "")")
        #expect((row["first_packet_p50_s"] as? Double ?? 0) > 0)
        #expect((row["npl_p99_s"] as? Double ?? 0) > 0)
        // The change right after the initial sync is measured apart from the steady-state samples.
        #expect((row["npl_first_after_initial_sync_s"] as? Double ?? 0) > 0)
    }

    @Test func replaysADumpInsteadOfTheSyntheticCluster() async throws {
        let file = NSTemporaryDirectory() + "sy-bench-dump-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let cluster = SyntheticCluster(seed: 9, services: 150, endpointsPerService: 3)
        try ManifestWriter.yaml(cluster.objects()).write(to: URL(fileURLWithPath: file))
        let rows = try await run("nftables", manifests: file)
        let row = try #require(rows.first)
        #expect(row["error"] is NSNull, "\(row["error"] ?? "")")
        #expect(row["services"] as? Int == 150)
        #expect(row["source"] as? String == "manifests:" + file)
        #expect((row["endpoint_change_p99_s"] as? Double ?? 0) > 0)
        #expect((row["first_packet_p50_s"] as? Double ?? 0) > 0)
    }

    @Test func namespaceIsDeletedWhenTheBodyThrows() async throws {
        let namespaces = BenchNamespaces()
        struct Boom: Error {}
        var created = ""
        await #expect(throws: Boom.self) {
            try await namespaces.with("boom") { ns in created = ns; throw Boom() }
        }
        #expect(created.hasPrefix(namespaces.prefix))
        #expect(namespaces.leftovers().isEmpty)
    }
}
}
