import Foundation
import SwitchyardCore
import TestCluster
import Testing

extension TrafficTests {
    @Suite("run --once, updates and cleanup") struct Lifecycle {
        static let port = ProxyLab.podPort
        static let both: [PortSpec] = [PortSpec("http", .tcp, 80, target: port), PortSpec("dns", .udp, 53, target: port)]

        @Test("a second --once converges: a removed service stops answering, changed endpoints take the traffic",
              arguments: TrafficBackend.tested)
        func updatesConverge(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let a2 = lab.pod("a2")
                try lab.apply(ManifestSet([
                    ServiceSpec("gone", clusterIPs: [Addr.svc(120)], ports: Self.both, endpoints: [lab.pod("b1")]),
                    ServiceSpec("moving", clusterIPs: [Addr.svc(121)], ports: Self.both, endpoints: [lab.pod("b1")]),
                ]))
                for (proto, port) in [(L4Protocol.tcp, UInt16(80)), (.udp, 53)] {
                    for vip in [Addr.svc(120), Addr.svc(121)] {
                        let before = try lab.probe(from: a2, proto, vip, port, count: 2)
                        #expect(before.allAnswered && before.answerers == ["b1"], "\(proto) \(vip) before: \(before.lines)")
                    }
                }
                try lab.apply(ManifestSet([
                    ServiceSpec("moving", clusterIPs: [Addr.svc(121)], ports: Self.both, endpoints: [lab.pod("b2"), lab.pod("a1")]),
                ]))
                for (proto, port) in [(L4Protocol.tcp, UInt16(80)), (.udp, 53)] {
                    let gone = try lab.probe(from: a2, proto, Addr.svc(120), port, timeout: .milliseconds(400))
                    #expect(gone.allSatisfy { $0.outcome != .answered }, "\(proto) removed service: \(gone.lines)")
                    let moved = try lab.probe(from: a2, proto, Addr.svc(121), port, count: 20)
                    #expect(moved.allAnswered && moved.answerers == ["a1", "b2"], "\(proto) follows the new endpoints: \(moved.lines)")
                }
            }
        }

        @Test("cleanup removes everything Switchyard wrote and keeps a foreign table", arguments: TrafficBackend.tested)
        func cleanup(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                try lab.cluster.run(in: lab.nodeA, ["nft", "-f", "-"], input: """
                    table inet foreign {
                      chain input { type filter hook input priority 0; policy accept; tcp dport 9999 counter accept; }
                    }
                    """).check()
                let before = try lab.ruleset()
                try lab.apply(ManifestSet([ServiceSpec("web", clusterIPs: [Addr.svc(130), Addr.svc6(0x130)], ports: Self.both,
                                                       endpoints: [lab.pod("b1")])]))
                #expect(try lab.ruleset() != before, "run --once wrote something")
                #expect(try lab.probe(from: lab.pod("a2"), .tcp, Addr.svc(130), 80).allAnswered)

                try lab.switchyard(["cleanup", "--backend", backend.rawValue]).check()
                #expect(try lab.ruleset() == before, "only the foreign table is left")
                let after = try lab.probe(from: lab.pod("a2"), .tcp, Addr.svc(130), 80, timeout: .milliseconds(300))
                #expect(after.allSatisfy { $0.outcome != .answered }, "the service is gone: \(after.lines)")

                try lab.apply(ManifestSet([ServiceSpec("web", clusterIPs: [Addr.svc(130)], ports: Self.both, endpoints: [lab.pod("b1")])]))
                let all = try lab.switchyard(["cleanup", "--backend", "all"]).check()
                #expect(try lab.ruleset() == before, "cleanup --backend all: only the foreign table is left (\(all.stdout))")
                try lab.switchyard(["cleanup", "--backend", "all"]).check()  // idempotent
                #expect(try lab.ruleset() == before)
            }
        }

        @Test("re-applying the same state under load loses no connection", arguments: TrafficBackend.tested)
        func restartUnderLoad(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let manifests = ManifestSet([ServiceSpec("web", clusterIPs: [Addr.svc(140)], ports: Self.both,
                                                         endpoints: [lab.pod("a1"), lab.pod("b1"), lab.pod("b2")])])
                try lab.apply(manifests)
                let loop = ProbeLoop()
                let thread = Thread {
                    while !loop.stopped {
                        for (source, proto, port) in [(lab.client as any InNetworkNamespace, L4Protocol.tcp, UInt16(80)),
                                                      (lab.pod("a2"), .udp, 53)] {
                            do { loop.add(try lab.probe(from: source, proto, Addr.svc(140), port, count: 10, timeout: .seconds(2))) }
                            catch { loop.fail("\(error)") }
                        }
                    }
                    loop.finish()
                }
                thread.start()
                #expect(loop.waitForCount(atLeast: 20, timeout: 30), "the probe loop got going")
                let atStart = loop.count
                for _ in 0..<6 { try lab.apply(manifests) }
                let atEnd = loop.count
                loop.stop()
                let results = loop.waitForResults()
                #expect(loop.errors.isEmpty, "probe loop errors: \(loop.errors)")
                #expect(atEnd > atStart, "probes completed while re-applying: \(atStart) → \(atEnd)")
                let failed = results.filter { $0.outcome != .answered }
                #expect(failed.isEmpty, "\(failed.count) of \(results.count) probes failed: \(failed.lines)")
            }
        }

        @Test("the daemon without an object source refuses to start; a kernel refusal exits non-zero with the applier's message",
              arguments: TrafficBackend.tested)
        func commandErrors(backend: TrafficBackend) throws {
            try ProxyLab.with(backend) { lab in
                let daemon = try lab.switchyard(["run", "--backend", backend.rawValue, "--node", "node-a"])
                #expect(daemon.status != 0 && daemon.stderr.contains("no object source") && daemon.stderr.contains("--kubeconfig"),
                        "\(daemon.stderr)")
                // Without CAP_NET_ADMIN the kernel refuses every write.
                let file = lab.directory.appendingPathComponent("refused.json")
                try ManifestSet([ServiceSpec("web", clusterIPs: [Addr.svc(150)], ports: Self.both, endpoints: [lab.pod("b1")])])
                    .json(nodes: lab.cluster.nodes).write(to: file)
                let refused = try lab.switchyard(lab.runArguments(file.path),
                                                 wrapper: ["setpriv", "--inh-caps=-all", "--bounding-set=-net_admin", "--"])
                #expect(refused.status != 0, "exit status \(refused.status)")
                #expect(refused.stderr.contains("\(backend.rawValue):") && refused.stderr.contains("failed"),
                        "the ApplyError is printed: \(refused.stderr)")
                let ok = try lab.switchyard(lab.runArguments(file.path)).check()
                #expect(ok.stdout.contains("node-a") && ok.stdout.contains(backend.rawValue), "summary: \(ok.stdout)")
            }
        }
    }
}

/// Results collected by a background probe loop.
final class ProbeLoop: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [ProbeResult] = []
    private var messages: [String] = []
    private var stopRequested = false
    private var done = false

    var stopped: Bool { condition.withLock { stopRequested } }
    var errors: [String] { condition.withLock { messages } }

    var count: Int { condition.withLock { results.count } }

    func add(_ more: [ProbeResult]) { condition.withLock { results += more; condition.broadcast() } }

    /// Waits until `n` results arrived; false after `timeout` seconds or when the loop ended first.
    func waitForCount(atLeast n: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while results.count < n && !done { if !condition.wait(until: deadline) { break } }
            return results.count >= n
        }
    }
    func fail(_ message: String) { condition.withLock { messages.append(message) } }
    func stop() { condition.withLock { stopRequested = true } }

    func finish() {
        condition.withLock { done = true; condition.broadcast() }
    }

    func waitForResults() -> [ProbeResult] {
        condition.withLock {
            while !done { condition.wait() }
            return results
        }
    }
}
