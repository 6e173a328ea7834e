import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Bench

@Suite struct SVGChartTests {
    @Test func oneLinePerBackendWithLegendAndParsesAsXML() throws {
        let svg = SVGChart.syncLatency(BenchReportTests.sample())
        let doc = try XMLDocument(data: Data(svg.utf8))
        let lines = try doc.nodes(forXPath: "//*[local-name()='polyline']")
        #expect(lines.count == 2)
        let legend = try doc.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
            .filter { ["nftables", "iptables"].contains($0) }
        #expect(legend == ["nftables", "iptables"])
        #expect(svg.contains(">services<"))
        #expect(svg.contains("cold sync (s)"))
    }

    @Test func pointsRiseWithTimeAndStayInsideTheCanvas() throws {
        let svg = SVGChart.syncLatency(BenchReportTests.sample())
        // The nftables polyline's points attribute, read from the text.
        let line = try #require(svg.split(separator: "\n").first { $0.contains("<polyline") && $0.contains(#"data-backend="nftables""#) })
        let points = try #require(line.split(separator: #"points=""#).last?.split(separator: "\"").first)
        let pts = points.split(separator: " ").map { p in
            p.split(separator: ",").compactMap { Double($0) }
        }
        try #require(pts.count == 2 && pts.allSatisfy { $0.count == 2 })
        // More services to the right; a longer sync higher up (smaller y).
        #expect(pts[0][0] < pts[1][0])
        #expect(pts[0][1] > pts[1][1])
        for p in pts { #expect(p[0] >= 0 && p[0] <= SVGChart.width && p[1] >= 0 && p[1] <= SVGChart.height) }
    }

    @Test func niceCeiling() {
        #expect(SVGChart.niceCeiling(0.9) == 1)
        #expect(SVGChart.niceCeiling(1.5) == 2)
        #expect(SVGChart.niceCeiling(3) == 5)
        #expect(SVGChart.niceCeiling(0) == 1)
        #expect(abs(SVGChart.niceCeiling(0.012) - 0.02) < 1e-12)
    }

    @Test func emptyResultsStillGiveAValidChart() throws {
        _ = try XMLDocument(data: Data(SVGChart.syncLatency([]).utf8))
    }
}
