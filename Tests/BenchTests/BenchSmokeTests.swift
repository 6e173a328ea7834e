import Foundation
import Apply
import Testing
@testable import Bench

/// The real bench, small: 200 services × 2 endpoints, nftables, 3 runs (root only; skipped otherwise).
@Suite(.enabled(if: geteuid() == 0 && ToolProcess.exists("nft") && ToolProcess.exists("ip")))
struct BenchSmokeTests {
    @Test func smallNftablesRunWritesSaneResultsAndLeavesNoNamespace() async throws {
        let out = NSTemporaryDirectory() + "sy-bench-smoke-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = try BenchConfig.validated(services: "200", endpointsPerService: 2, backends: "nftables",
                                               seed: 5, runs: 3, outDir: out)
        let namespaces = BenchNamespaces()
        defer { namespaces.deleteAll() }
        let runner = BenchRunner(config: config, namespaces: namespaces)
        let results = await runner.run()
        _ = try runner.write(results)

        #expect(namespaces.leftovers().isEmpty)
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rows = try #require(root["results"] as? [[String: Any]])
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        for key in BenchResult.requiredKeys { #expect(row.keys.contains(key), "missing \(key)") }
        #expect(row["error"] is NSNull, "\(row["error"] ?? "")")
        #expect(row["backend"] as? String == "nftables")
        #expect(row["build"] as? String == BenchRunner.buildMode)
        #expect(row["services"] as? Int == 200)
        #expect(row["endpoints_per_service"] as? Int == 2)
        let seconds = ["cold_sync_s", "render_s", "apply_s", "kernel_floor_cold_s", "endpoint_change_p50_s",
                       "endpoint_change_p99_s", "service_add_p99_s", "kernel_floor_change_s"]
        for key in seconds {
            let v = try #require(row[key] as? Double, "\(key) not a number")
            #expect(v > 0 && v < 60, "\(key) = \(v)")
        }
        #expect((row["endpoint_change_p50_s"] as? Double ?? 1) <= (row["endpoint_change_p99_s"] as? Double ?? 0))
        #expect((row["render_s"] as? Double ?? 1) < (row["cold_sync_s"] as? Double ?? 0))
        #expect((row["rss_peak_bytes"] as? Int ?? 0) > 1_000_000)
        #expect((row["elements"] as? Int ?? 0) > 200)
        for key in ["npl_p99_s", "first_packet_p50_s", "first_packet_p99_s"] { #expect(row[key] is NSNull) }
        for file in ["report.md", "sync-latency.svg"] { #expect(FileManager.default.fileExists(atPath: out + "/" + file)) }
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
