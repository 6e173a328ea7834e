import Foundation
import SwitchyardCore
import TestCluster
import Testing

extension TrafficTests {
    /// `switchyard run` as a daemon following the API server (kubectl changes), with health, metrics,
    /// health-check node ports and SIGTERM.
    @Suite("daemon", .enabled(if: DaemonLab.kubectlAvailable, "needs /usr/bin/kubectl"))
    struct Daemon {
        static let port = ProxyLab.podPort

        @Test("traffic follows Services and EndpointSlices created, replaced and deleted through the API; SIGTERM exits 0 leaving the rules")
        func followsTheAPI() throws {
            try DaemonLab.with { d in
                let lab = d.lab
                let daemon = try d.startDaemon()
                let a2 = lab.pod("a2")
                let web = { (eps: [String]) in
                    ServiceSpec("web", clusterIPs: [Addr.svc(10)], ports: [PortSpec("http", .tcp, 80, target: Self.port)],
                                endpoints: eps.map(lab.pod))
                }
                #expect(try d.eventually { try d.http("http://127.0.0.1:10256/healthz").code == 200 },
                        "healthz after the first sync: \(daemon.errorOutput)")

                try d.create(ManifestSet([web(["a1", "b1"])]))
                #expect(try d.eventually { try d.answerers(from: a2, Addr.svc(10), 80) == ["a1", "b1"] },
                        "created service answers from a1, b1: \(daemon.errorOutput)")

                try d.replace(ManifestSet([web(["b2"])]))
                #expect(try d.eventually { try d.answerers(from: a2, Addr.svc(10), 80) == ["b2"] },
                        "replaced slice: only b2 answers")

                try d.kubectl(["delete", "-n", "traffic", "endpointslice/web-v4", "service/web"])
                #expect(try d.eventually { try lab.probe(from: a2, .tcp, Addr.svc(10), 80, timeout: .milliseconds(300)).allSatisfy { $0.outcome != .answered } },
                        "deleted service no longer answers")
                // The slice and the service may be deleted in two syncs: the service rejects (no longer
                // answers) before its address leaves the ruleset.
                #expect(try d.eventually { try !lab.ruleset().contains("10.96.0.10") }, "deleted service's address left the ruleset")

                try d.create(ManifestSet([ServiceSpec("kept", clusterIPs: [Addr.svc(11)],
                                                      ports: [PortSpec("http", .tcp, 80, target: Self.port)], endpoints: [lab.pod("a1")])]))
                #expect(try d.eventually { try d.answerers(from: a2, Addr.svc(11), 80) == ["a1"] })

                let metrics = try d.http("http://127.0.0.1:10249/metrics")
                #expect(metrics.code == 200)
                let syncs = DaemonLab.sample("kubeproxy_sync_proxy_rules_duration_seconds_count", in: metrics.body) ?? 0
                #expect(syncs >= 4, "a sync per change at least: \(syncs)")
                #expect(daemon.errorOutput.contains("msg=\"sync done\""), "one log line per sync")

                kill(daemon.pid, SIGTERM)
                #expect(daemon.waitForExit(timeout: .seconds(10)) == 0, "exit status after SIGTERM: \(daemon.errorOutput)")
                #expect(try d.answerers(from: a2, Addr.svc(11), 80) == ["a1"], "rules stay in place after exit")
                #expect(try lab.ruleset().contains("10.96.0.11"))
            }
        }

        @Test("a UDP client reusing its source port follows a replaced endpoint: the daemon deletes the stale conntrack entry",
              .enabled(if: TrafficTests.ConntrackCleanup.socatAvailable, "needs socat"))
        func staleUDPConntrackIsDeleted() throws {
            try DaemonLab.with { d in
                let lab = d.lab
                let daemon = try d.startDaemon()
                let vip = Addr.svc(141), client = lab.pod("a2"), b1 = lab.pod("b1")
                let stats = { (eps: [String]) in
                    ServiceSpec("stats", clusterIPs: [vip], ports: [PortSpec("dns", .udp, 53, target: Self.port)],
                                endpoints: eps.map(lab.pod))
                }
                try d.create(ManifestSet([stats(["b1"])]))
                #expect(try d.eventually { try TrafficTests.ConntrackCleanup.send(lab, from: client, to: vip) == "b1" },
                        "the fixed-port flow reaches b1: \(daemon.errorOutput)")
                // b1 stops answering on its UDP port and the service moves to b2 through the API.
                try lab.cluster.run(in: b1, ["nft", "add table inet gone; add chain inet gone in { type filter hook input priority 0; };"
                                             + " add rule inet gone in udp dport \(Self.port) drop"]).check()
                try d.replace(ManifestSet([stats(["b2"])]))
                // Without cleanup the same 5-tuple would stay on b1's conntrack entry forever (see the
                // ConntrackCleanup suite, which shows the flow stuck before the cleaner runs).
                #expect(try d.eventually { try TrafficTests.ConntrackCleanup.send(lab, from: client, to: vip) == "b2" },
                        "the same flow reaches b2 after the daemon's sync: \(daemon.errorOutput)")
                #expect(daemon.errorOutput.contains("conntrack entries removed"), "the daemon logged its cleanup")
            }
        }

        @Test("health-check node port of an eTP=Local LoadBalancer: 200 with a local endpoint, 503 without")
        func healthCheckNodePort() throws {
            try DaemonLab.with { d in
                let lab = d.lab
                let daemon = try d.startDaemon()
                func lb(_ eps: [String]) -> ServiceSpec {
                    var s = ServiceSpec("lb", clusterIPs: [Addr.svc(40)],
                                        ports: [PortSpec("http", .tcp, 80, target: Self.port, nodePort: 30080)],
                                        endpoints: eps.map(lab.pod))
                    s.type = "LoadBalancer"
                    s.externalTrafficPolicy = "Local"
                    s.healthCheckNodePort = 32100
                    return s
                }
                let url = "http://\(lab.nodeA.ipv4):32100/healthz"
                try d.create(ManifestSet([lb(["a1", "b1"])]))
                #expect(try d.eventually { try d.http(url).code == 200 }, "a local endpoint (a1): 200: \(daemon.errorOutput)")
                let body = try d.http(url).body
                #expect(body.contains("\"localEndpoints\": 1") || body.contains("\"localEndpoints\":1"), "\(body)")

                try d.replace(ManifestSet([lb(["b1"])]))
                #expect(try d.eventually { try d.http(url).code == 503 }, "no local endpoint: 503")

                try d.replace(ManifestSet([lb(["a2", "b1"])]))
                #expect(try d.eventually { try d.http(url).code == 200 }, "local endpoint back: 200")
            }
        }
    }
}

extension TrafficTests.Daemon {
    @Test("healthz reports the node not eligible while it carries ToBeDeletedByClusterAutoscaler or is being deleted; livez stays 200")
    func nodeEligibility() throws {
        try DaemonLab.with { d in
            let daemon = try d.startDaemon()
            let healthz = "http://127.0.0.1:10256/healthz", livez = "http://127.0.0.1:10256/livez"
            #expect(try d.eventually { try d.http(healthz).code == 200 }, "healthy after the first sync: \(daemon.errorOutput)")
            #expect(try d.http(healthz).body.hasSuffix(#""nodeEligible": true}"#))

            try d.editNode("node-a") { node in
                var spec = node["spec"] as? [String: Any] ?? [:]
                spec["taints"] = [["key": "ToBeDeletedByClusterAutoscaler", "value": "1700000000", "effect": "NoSchedule"]]
                node["spec"] = spec
            }
            #expect(try d.eventually { try d.http(healthz).code == 503 }, "tainted: 503: \(daemon.errorOutput)")
            #expect(try d.http(healthz).body.hasSuffix(#""nodeEligible": false}"#))
            #expect(try d.http(livez).code == 200, "livez ignores eligibility")

            try d.editNode("node-a") { node in
                var spec = node["spec"] as? [String: Any] ?? [:]
                spec["taints"] = nil
                node["spec"] = spec
            }
            #expect(try d.eventually { try d.http(healthz).code == 200 }, "taint removed: 200 again")

            try d.kubectl(["delete", "node", "node-a"])
            #expect(try d.eventually { try d.http(healthz).code == 503 }, "node deleted: 503")
            #expect(daemon.errorOutput.contains("node eligibility changed"), "the daemon logs the change")
        }
    }
}

extension TrafficTests.Daemon {
    @Test("static manifests with a KubeProxyConfiguration: synced at once, healthz 200, unknown field warned, SIGINT exits 0")
    func staticManifests() throws {
        try ProxyLab.with(.nftables) { lab in
            let manifests = lab.directory.appendingPathComponent("static.json")
            try ManifestSet([ServiceSpec("web", clusterIPs: [Addr.svc(12)], ports: [PortSpec("http", .tcp, 80, target: Self.port)],
                                         endpoints: [lab.pod("b1")])]).json(nodes: lab.cluster.nodes).write(to: manifests)
            let config = lab.directory.appendingPathComponent("kube-proxy.yaml")
            try Data("""
                apiVersion: kubeproxy.config.k8s.io/v1alpha1
                kind: KubeProxyConfiguration
                mode: nftables
                hostnameOverride: node-a
                clusterCIDR: \(ProxyLab.clusterCIDRs.joined(separator: ","))
                healthzBindAddress: 0.0.0.0:10256
                nftables: {minSyncPeriod: 100ms, syncPeriod: 1m0s}
                madeUpField: true
                """.utf8).write(to: config)
            let daemon = try lab.cluster.spawn(in: lab.nodeA, [try lab.cluster.switchyardExecutable(), "run",
                                                               "--config", config.path, "--manifests", manifests.path])
            let d = StaticProbe(lab: lab)
            #expect(d.eventually { (try? lab.probe(from: lab.pod("a2"), .tcp, Addr.svc(12), 80, timeout: .milliseconds(300)).answerers) == ["b1"] },
                    "static service answers: \(daemon.errorOutput)")
            #expect(try d.healthz() == 200)
            #expect(daemon.errorOutput.contains("unknown field \\\"madeUpField\\\""), "\(daemon.errorOutput)")
            kill(daemon.pid, SIGINT)
            #expect(daemon.waitForExit(timeout: .seconds(10)) == 0, "\(daemon.errorOutput)")
            #expect(try lab.ruleset().contains("10.96.0.12"), "rules stay in place")
        }
    }
}

/// Polling and health checks for a daemon started directly on a `ProxyLab`.
private struct StaticProbe {
    let lab: ProxyLab
    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }
    func healthz() throws -> Int {
        let r = try lab.cluster.run(in: lab.nodeA, ["curl", "-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}",
                                                    "http://127.0.0.1:10256/healthz"])
        return Int(r.stdout) ?? 0
    }
}
