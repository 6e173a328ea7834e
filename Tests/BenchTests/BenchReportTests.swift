import Foundation
import Testing
@testable import Bench

@Suite struct BenchReportTests {
    static func sample() -> [BenchResult] {
        var a = BenchResult(backend: "nftables", services: 1000, endpointsPerService: 10)
        a.coldSyncSeconds = 0.25; a.renderSeconds = 0.05; a.endpointChangeP99 = 0.002; a.rssPeakBytes = 50_000_000
        a.error = "quote \" and\nnewline"
        var b = BenchResult(backend: "iptables", services: 5000, endpointsPerService: 10)
        b.coldSyncSeconds = 1.5
        var c = BenchResult(backend: "nftables", services: 5000, endpointsPerService: 10)
        c.coldSyncSeconds = 0.9
        return [a, b, c]
    }

    @Test func jsonHasEveryKeyAndNullForUnmeasured() throws {
        let data = Data(BenchReport.json(Self.sample()).utf8)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rows = try #require(root["results"] as? [[String: Any]])
        #expect(rows.count == 3)
        for row in rows { for key in BenchResult.requiredKeys { #expect(row.keys.contains(key), "missing \(key)") } }
        #expect(rows[0]["cold_sync_s"] as? Double == 0.25)
        #expect(rows[0]["rss_peak_bytes"] as? Int == 50_000_000)
        #expect(rows[0]["error"] as? String == "quote \" and\nnewline")
        #expect(rows[0]["npl_p99_s"] is NSNull)
        #expect(rows[1]["endpoint_change_p50_s"] is NSNull)
        #expect(rows[1]["backend"] as? String == "iptables")
    }

    @Test func jsonOfNothingIsValid() throws {
        let root = try JSONSerialization.jsonObject(with: Data(BenchReport.json([]).utf8)) as? [String: Any]
        #expect((root?["results"] as? [Any])?.isEmpty == true)
    }

    @Test func markdownTableHasHeaderSeparatorAndOneRowPerResult() {
        let lines = BenchReport.markdownTable(Self.sample()).split(separator: "\n")
        #expect(lines.count == 5)
        let columns = lines[0].split(separator: "|").count
        for line in lines { #expect(line.split(separator: "|", omittingEmptySubsequences: false).count == columns + 2) }
        #expect(lines[2].contains("250.00 ms"))
        #expect(lines[3].contains("1.50 s"))
        #expect(lines[3].contains("–"))
    }

    @Test func terminalTableAlignsColumns() {
        let lines = BenchReport.terminalTable(Self.sample()).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(Set(lines.map(\.count)).count == 1)
    }

    @Test func resultsJSONReadsBackIntoTheSameRows() throws {
        var r = BenchResult(backend: "ipvs", services: 1000, endpointsPerService: 10)
        r.coldSyncSeconds = 1.25; r.firstPacketP99 = 0.0003; r.churnHeldPerSecond = 200; r.rules = 42; r.error = "x"
        r.host = "UML guest (1 CPU)"; r.source = "synthetic"; r.build = "release"; r.rssPeakBytes = 7
        let data = Data(BenchReport.json([r] + Self.sample()).utf8)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rows = try #require(root["results"] as? [[String: Any]]).compactMap(BenchResult.init(json:))
        #expect(rows == [r] + Self.sample())
    }

    @Test func reportNamesWhatIsNotMeasured() throws {
        let config = try BenchConfig.validated(services: "1000", endpointsPerService: 10, backends: "nftables", seed: 3, runs: 5, outDir: "x")
        let md = BenchReport.markdown(Self.sample(), config: config, host: "h")
        #expect(md.contains("first-packet"))
        #expect(md.contains("IPVS"))
        #expect(md.contains("sync-latency.svg"))
    }
}
