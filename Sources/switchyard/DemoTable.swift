import SwitchyardCore
import TestCluster

/// The demo's result table: one row per probe with the outcome, who answered and the source seen.
struct DemoTable {
    struct Row {
        var probe: DemoPlan.Probe
        var results: [ProbeResult]

        /// What the probes did, in the expectation's vocabulary.
        var observed: String {
            let outcomes = Set(results.map { Self.word($0.outcome) })
            return outcomes.count == 1 ? outcomes.first! : outcomes.sorted().joined(separator: "+")
        }

        var matches: Bool { observed == probe.expect.rawValue }

        /// `web-a1 ×2, web-b ×1`.
        var answeredBy: String {
            var counts: [String: Int] = [:]
            for name in results.compactMap(\.answeredBy) { counts[name, default: 0] += 1 }
            return counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        }

        var sourcesSeen: String {
            Array(Set(results.compactMap(\.sourceSeen?.address))).sorted().map(\.description).joined(separator: ", ")
        }

        static func word(_ outcome: ProbeResult.Outcome) -> String {
            switch outcome {
            case .answered: return "answered"
            case .refused: return "refused"
            case .timeout: return "dropped"
            case .unreachable: return "unreachable"
            case .failed: return "failed"
            }
        }
    }

    var rows: [Row]
    var cluster: TestCluster

    private func sourceName(_ source: DemoPlan.Source) -> String {
        switch source {
        case .pod: return "pod \(cluster.pod(named: "client-pod").map { "\($0.ipv4)" } ?? "")"
        case .node: return "node-a"
        case .client: return "client"
        case .outsider: return "client \(DemoPlan.outsider)"
        }
    }

    private func target(_ p: DemoPlan.Probe) -> String {
        let host = p.address.family == .ipv6 ? "[\(p.address)]" : "\(p.address)"
        return "\(host):\(p.port)/\(p.proto.lowercased)"
    }

    /// The table as aligned text, followed by the notes.
    func render() -> String {
        let header = ["", "SERVICE", "FROM", "TO", "×", "RESULT", "ANSWERED BY", "SOURCE SEEN"]
        var lines = [header]
        for row in rows {
            lines.append([row.matches ? "✓" : "✗", row.probe.service, sourceName(row.probe.source), target(row.probe),
                          "\(row.results.count)", row.matches ? row.observed : "\(row.observed) (expected \(row.probe.expect.rawValue))",
                          row.answeredBy.isEmpty ? "-" : row.answeredBy, row.sourcesSeen.isEmpty ? "-" : row.sourcesSeen])
        }
        var widths = Array(repeating: 0, count: header.count)
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = lines.map { line in
            line.enumerated().map { i, cell in i == line.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        out.append("")
        for (i, row) in rows.enumerated() { out.append("  \(i + 1). \(row.probe.service): \(row.probe.note)") }
        out.append("")
        out.append("client = \(cluster.client.ipv4) / \(cluster.client.ipv6.map { "\($0)" } ?? "-"); node-a = \(cluster.node(.a).ipv4); "
            + "node-b = \(cluster.node(.b).ipv4); dropped = no answer within 500 ms")
        return out.joined(separator: "\n")
    }
}
