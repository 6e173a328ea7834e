import Foundation
import Model
import Testing
@testable import Observability
@testable import Sync

/// Real HTTP over loopback.
@Suite(.serialized) struct ServerTests {
    private func server(_ clock: TestClock, timeout: Double = 60) async throws -> (ObservabilityServer, Int, Int) {
        let s = ObservabilityServer(config: ObservabilityConfig(metricsHost: "127.0.0.1", metricsPort: 0, healthHost: "127.0.0.1",
                                                                healthPort: 0, nodePortHost: "127.0.0.1", healthTimeout: timeout),
                                    backend: "test", clock: clock)
        let (m, h) = try await s.start()
        return (s, m, h)
    }

    @Test func metricsHealthzAndLivezOverHTTP() async throws {
        let clock = TestClock()
        let (s, mp, hp) = try await server(clock)
        defer { Task { await s.shutdown() } }
        var status = SyncStatus()
        status.sourceSynced = true
        status.oldestPendingQueuedTime = clock.now()
        s.statusChanged(status)

        let ok = try #require(await httpGet("http://127.0.0.1:\(hp)/healthz"))
        #expect(ok.status == 200 && ok.body.contains("\"nodeEligible\": true"))
        clock.advance(61)
        let bad = try #require(await httpGet("http://127.0.0.1:\(hp)/healthz"))
        #expect(bad.status == 503)
        let live = try #require(await httpGet("http://127.0.0.1:\(hp)/livez"))
        #expect(live.status == 503 && !live.body.contains("nodeEligible"))
        #expect(await httpGet("http://127.0.0.1:\(hp)/other")?.status == 404)

        let metrics = try #require(await httpGet("http://127.0.0.1:\(mp)/metrics"))
        #expect(metrics.status == 200)
        let e = Exposition(metrics.body)
        #expect(e.value("kubeproxy_proxy_healthz_total", ["code": "200"]) == 1)
        #expect(e.value("kubeproxy_proxy_healthz_total", ["code": "503"]) == 1)
        #expect(e.value("kubeproxy_proxy_livez_total", ["code": "503"]) == 1)
        #expect(await httpGet("http://127.0.0.1:\(mp)/healthz")?.status == 404)
        await s.shutdown()
        #expect(await httpGet("http://127.0.0.1:\(mp)/metrics") == nil)
    }

    @Test func healthCheckNodePortsFollowTheAppliedState() async throws {
        let clock = TestClock()
        let (s, _, _) = try await server(clock)
        defer { Task { await s.shutdown() } }
        let p1 = freePort(), p2 = freePort()
        let withLocal = St.state([St.port("web", ns: "shop", hc: p1, local: ["10.244.0.5", "10.244.0.6"]),
                                  St.port("web", ns: "shop", hc: p1, local: ["10.244.0.5"], name: "https"),
                                  St.port("api", hc: p2, local: [], cluster: ["10.244.1.9"])])
        await s.nodePorts.update(from: withLocal)
        #expect(await s.nodePorts.openPorts == [p1, p2].sorted())

        let web = try #require(await httpGet("http://127.0.0.1:\(p1)/"))
        #expect(web.status == 200)
        #expect(web.body == "{\n\t\"service\": {\n\t\t\"namespace\": \"shop\",\n\t\t\"name\": \"web\"\n\t},\n\t\"localEndpoints\": 2,\n\t\"serviceProxyHealthy\": true\n}")
        #expect(web.headers["X-Load-Balancing-Endpoint-Weight"] as? String == "2")
        let api = try #require(await httpGet("http://127.0.0.1:\(p2)/healthz"))
        #expect(api.status == 503 && api.body.contains("\"localEndpoints\": 0"))

        // Endpoints move away from the node, the other service goes away.
        await s.nodePorts.update(from: St.state([St.port("web", ns: "shop", hc: p1, local: [], cluster: ["10.244.1.1"])]))
        #expect(await s.nodePorts.openPorts == [p1])
        #expect(await httpGet("http://127.0.0.1:\(p1)/")?.status == 503)
        #expect(await httpGet("http://127.0.0.1:\(p2)/") == nil)

        // Driven by the engine: a successful sync's applied state reopens the port.
        var r = SyncRecord(requested: .full, kind: .full, started: clock.now(), finished: clock.now(), success: true)
        r.applied = withLocal
        s.syncCompleted(r, status: SyncStatus())
        for _ in 0..<200 where await s.nodePorts.openPorts.count < 2 { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(await httpGet("http://127.0.0.1:\(p2)/")?.status == 503)
        #expect(await httpGet("http://127.0.0.1:\(p1)/")?.status == 200)

        // An unhealthy proxy makes every health-check port answer 503.
        var st = SyncStatus(); st.sourceSynced = true; st.oldestPendingQueuedTime = clock.now()
        s.statusChanged(st)
        clock.advance(120)
        let sick = try #require(await httpGet("http://127.0.0.1:\(p1)/"))
        #expect(sick.status == 503 && sick.body.contains("\"serviceProxyHealthy\": false"))
        await s.shutdown()
        #expect(await httpGet("http://127.0.0.1:\(p1)/") == nil)
    }

    @Test func targetsCountDistinctLocalAddressesAndIgnoreClusterPolicy() {
        var cluster = St.port("c", hc: 32000, local: ["10.244.0.1"]); cluster.externalPolicyLocal = false
        let t = HealthCheckNodePorts.targets(in: St.state([
            St.port("a", hc: 31000, local: ["10.244.0.1"]),
            St.port("a", hc: 31000, local: ["fd00:10:244::1"], family: .ipv6),
            St.port("b", hc: 31000, local: []),     // the same port claimed twice: the first service keeps it
            cluster,
        ]))
        #expect(t.keys.sorted() == [31000])
        #expect(t[31000] == HealthCheckTarget(service: ServiceName(namespace: "default", name: "a"), localEndpoints: 2))
    }
}
