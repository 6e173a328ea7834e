import Foundation
import Model
import RenderIptables
import SwitchyardCore
import Testing

/// Writes restore inputs for the 10,000 services × 10 endpoints measurement (not a timed test):
/// `SWITCHYARD_IPT_BENCH_DIR=/tmp/x swift test --filter IptBenchFiles`, then time
/// `iptables-restore --noflush` on the files inside a throwaway namespace (see the report).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SWITCHYARD_IPT_BENCH_DIR"] != nil))
struct IptBenchFiles {
    static func port(_ i: Int, endpoints: Int) -> ServicePort {
        let eps = (0..<endpoints).map { j in
            Endpoint(ip: IPAddress(v4: 0x0AF4_0000 | UInt32(i * endpoints + j + 1)), port: 8080, isLocal: j == 0)
        }
        return ServicePort(key: IptFixtures.key("bench", "svc-\(i)", "http"), clusterIP: IPAddress(v4: 0x0A60_0000 | UInt32(i + 1)), port: 80,
                           nodePort: i % 10 == 0 ? UInt16(30000 + i / 10) : nil,
                           clusterEndpoints: eps, localEndpoints: [eps[0]], internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
    }

    @Test func writeBenchInputs() throws {
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SWITCHYARD_IPT_BENCH_DIR"]!)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let services = Int(ProcessInfo.processInfo.environment["SWITCHYARD_IPT_BENCH_SERVICES"] ?? "10000")!
        var cfg = IptFixtures.config
        cfg.families = [.ipv4]
        let ports = (0..<services).map { Self.port($0, endpoints: 10) }
        let state = IptFixtures.state(ports, config: cfg)
        let r = IptablesRenderer()
        let t0 = ContinuousClock.now
        let full = r.renderFull(state, saved: [.ipv4: ""])
        let t1 = ContinuousClock.now
        var changed = ports
        changed[services / 2].clusterEndpoints[3].port = 9090
        let newState = IptFixtures.state(changed, config: cfg)
        let diff = IptFixtures.diff(state, newState)
        let t1b = ContinuousClock.now
        let partial = r.renderIncremental(diff, state: newState)
        let t2 = ContinuousClock.now
        let f = full.family(.ipv4)!, p = partial.family(.ipv4)!
        try f.restore.write(to: dir.appendingPathComponent("full.restore"), atomically: true, encoding: .utf8)
        let single = IptablesRenderer(options: IptablesOptions(fullSyncTransactionRules: .max)).renderFull(state, saved: [.ipv4: ""])
        try single.family(.ipv4)!.restore.write(to: dir.appendingPathComponent("full-single.restore"), atomically: true, encoding: .utf8)
        try f.ipsetRestore.write(to: dir.appendingPathComponent("full.ipset"), atomically: true, encoding: .utf8)
        try p.restore.write(to: dir.appendingPathComponent("partial.restore"), atomically: true, encoding: .utf8)
        try p.ipsetRestore.write(to: dir.appendingPathComponent("partial.ipset"), atomically: true, encoding: .utf8)
        let stats = "services \(services) chains \(f.chainsDeclared) rules \(f.ruleCommands) ipset \(f.ipsetChanges) "
            + "render-full \(t1 - t0) render-partial \(t2 - t1b) partial-rules \(p.ruleCommands) partial-chains \(p.chainsDeclared)\n"
        try stats.write(to: dir.appendingPathComponent("stats.txt"), atomically: true, encoding: .utf8)
    }
}
