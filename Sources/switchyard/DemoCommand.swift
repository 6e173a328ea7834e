import ArgumentParser
import Foundation
import SwitchyardCore
import TestCluster

#if canImport(Glibc)
import Glibc
#endif

/// `switchyard demo` (hidden; `scripts/demo` runs it): builds a two-node cluster out of network
/// namespaces, applies the embedded example cluster with `run --once` inside node-a, sends real
/// requests to every service and prints who answered. Everything lives in throwaway namespaces,
/// removed at the end and on Ctrl-C; the caller's own namespace is not changed.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the embedded example cluster for real in throwaway network namespaces (root).",
        shouldDisplay: false)

    @Option(name: [.customLong("backend"), .customLong("proxy-mode")], help: "The backend to program.")
    var backend: BackendName = .nftables

    func validate() throws {
        guard TestCluster.isSupported() else {
            throw ValidationError("the demo needs root and iproute2: it builds network namespaces")
        }
        try Appliers.requireAvailable(backend)
    }

    func run() throws {
        let prefix = TestCluster.uniquePrefix()
        let interrupt = Self.tearDownOnSignals(prefix: prefix)
        defer { interrupt.forEach { $0.cancel() } }

        print("building the cluster: namespaces \(prefix)*  (node-a, node-b, client, \(DemoPlan.pods.count) pods)")
        try withTestCluster(TestClusterSpec(pods: DemoPlan.pods, namePrefix: prefix)) { cluster in
            try prepare(cluster)
            let node = cluster.node(.a)
            let run = try cluster.run(in: node, [try cluster.switchyardExecutable(), "run", "--once",
                                                 "--backend", backend.rawValue, "--node", "node-a",
                                                 "--cluster-cidr", DemoPlan.clusterCIDRs])
            guard run.succeeded else {
                throw ValidationError("switchyard run --once failed in node-a:\n\(run.stderr)")
            }
            print("in node-a: switchyard run --once --backend \(backend.rawValue) --node node-a --cluster-cidr \(DemoPlan.clusterCIDRs)")
            print("  " + run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            print("")
            let rows = try DemoPlan.probes.map { try DemoTable.Row(probe: $0, results: send($0, in: cluster)) }
            print(DemoTable(rows: rows, cluster: cluster).render())
            let misses = rows.filter { !$0.matches }.count
            print(misses == 0 ? "every probe behaved as expected" : "\(misses) probe(s) did NOT behave as expected (marked ✗)")
        }
        print("torn down: namespaces \(prefix)* removed")
    }

    /// Echo servers in the serving pods, and routes for the LoadBalancer / external addresses.
    private func prepare(_ cluster: TestCluster) throws {
        for pod in cluster.pods where !DemoPlan.quietPods.contains(pod.name) {
            try cluster.startEchoServer(in: pod, tcp: DemoPlan.tcpPorts, udp: DemoPlan.udpPorts)
        }
        let nodeA = cluster.node(.a)
        let client = cluster.client
        // node-a routes service traffic back out the interface it came in on; a redirect to the
        // client would make the kernel suppress the next ICMP error (the UDP reject) to it.
        try cluster.run(in: nodeA, ["sysctl", "-q", "-w", "net.ipv4.conf.all.send_redirects=0",
                                    "net.ipv4.conf.\(nodeA.interface).send_redirects=0"]).check()
        // The external and LoadBalancer addresses are announced by node-a (as a router would).
        try cluster.ip(in: client, ["route", "add", "198.51.100.0/24", "via", "\(nodeA.ipv4)"])
        try cluster.ip(in: client, ["route", "add", "203.0.113.100/32", "via", "\(nodeA.ipv4)"])
        // A second client address outside the api service's source ranges; node-a can answer it.
        try cluster.ip(in: client, ["addr", "add", "\(DemoPlan.outsider)/32", "dev", client.interface])
        try cluster.ip(in: nodeA, ["route", "add", "\(DemoPlan.outsider)/32", "dev", nodeA.interface])
    }

    private func send(_ probe: DemoPlan.Probe, in cluster: TestCluster) throws -> [ProbeResult] {
        let timeout = Duration.milliseconds(500)
        switch probe.source {
        case .pod:
            return try cluster.probe(from: cluster.pod(named: "client-pod")!, probe.proto, probe.address, probe.port,
                                     timeout: timeout, count: probe.count)
        case .node:
            return try cluster.probe(from: cluster.node(.a), probe.proto, probe.address, probe.port, timeout: timeout, count: probe.count)
        case .client:
            return try cluster.probe(from: cluster.client, probe.proto, probe.address, probe.port, timeout: timeout, count: probe.count)
        case .outsider:
            return try cluster.probe(from: cluster.client, probe.proto, probe.address, probe.port, timeout: timeout,
                                     count: probe.count, bind: DemoPlan.outsider)
        }
    }

    /// On SIGINT/SIGTERM: remove every namespace of the demo (killing what runs inside) and exit 130.
    private static func tearDownOnSignals(prefix: String) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\ninterrupted: removing namespaces \(prefix)*\n".utf8))
                TestCluster.removeLeftovers(prefix: prefix)
                Glibc.exit(130)
            }
            source.resume()
            return source
        }
    }
}
