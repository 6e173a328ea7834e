import Foundation
import SwitchyardCore
import TestCluster
import Testing

/// A backend the real-traffic tests run against. Add a case (and list it in `tested`) when a
/// backend's applier lands; `rulesetCommand` lists everything that backend could leave behind.
enum TrafficBackend: String, Sendable, CustomStringConvertible {
    case nftables
    case iptables

    /// The backends every traffic test runs with.
    static let tested: [TrafficBackend] = [.nftables, .iptables]

    var description: String { rawValue }

    /// A command (run in node-a) printing the kernel state this backend writes, for cleanup checks.
    var rulesetCommand: [String] {
        switch self {
        case .nftables: return ["nft", "list", "ruleset"]
        case .iptables:
            // Rules and user chains of both variants and families (built-in chains and counters
            // dropped: tables once created stay), ipset names, and the cleanup test's foreign table.
            return ["sh", "-c", """
                for t in iptables-nft ip6tables-nft iptables-legacy ip6tables-legacy; do \
                  $t-save 2>/dev/null | sed 's/ \\[[0-9]*:[0-9]*\\]$//' | grep -E '^-A |^:[^ ]+ - ' | sed "s/^/$t /"; done; \
                ipset list -n; nft list table inet foreign 2>/dev/null; true
                """]
        }
    }
}

/// A test cluster with echo servers in every pod, where Switchyard runs in node-a's namespace.
///
/// Pods: `a1`, `a2` on node-a (10.244.1.2/.3), `b1`, `b2` on node-b (10.244.2.2/.3), each answering
/// on TCP and UDP `podPort`. The client (203.0.113.5) also owns `deniedClient` (203.0.113.6) and
/// routes `externalRange` (externalIPs, LoadBalancer IPs) via node-a.
final class ProxyLab: @unchecked Sendable {
    let cluster: TestCluster
    let backend: TrafficBackend
    let directory: URL
    private var generation = 0

    static let podPort: UInt16 = 8080
    static let pods = [PodSpec("a1", on: .a), PodSpec("a2", on: .a), PodSpec("b1", on: .b), PodSpec("b2", on: .b)]
    static let deniedClient = IPAddress("203.0.113.6")!
    static let externalRange = "198.51.100.0/24"
    static let clusterCIDRs = ["10.244.0.0/16", "fd00:10:244::/48"]

    private init(cluster: TestCluster, backend: TrafficBackend, directory: URL) {
        self.cluster = cluster; self.backend = backend; self.directory = directory
    }

    /// Builds the lab, runs `body`, and removes every namespace and file whatever happens.
    static func with<R>(_ backend: TrafficBackend, _ body: (ProxyLab) throws -> R) throws -> R {
        try withTestCluster(TestClusterSpec(pods: pods)) { cluster in
            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("switchyard-traffic-\(cluster.prefix)\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let lab = ProxyLab(cluster: cluster, backend: backend, directory: dir)
            try lab.prepare()
            return try body(lab)
        }
    }

    private func prepare() throws {
        for pod in cluster.pods { try cluster.startEchoServer(in: pod, tcp: [Self.podPort], udp: [Self.podPort]) }
        // node-a forwards service traffic back out the interface it came in on (its route to the
        // service range is the default route), so it would send the client an ICMP redirect; the
        // kernel then suppresses the next ICMP error to that host (redirects and the ICMP rate limit
        // share one per-peer token bucket), hiding UDP rejects. A node routing service traffic does
        // not send redirects.
        try cluster.run(in: nodeA, ["sysctl", "-q", "-w", "net.ipv4.conf.all.send_redirects=0",
                                    "net.ipv4.conf.\(nodeA.interface).send_redirects=0"]).check()
        try cluster.ip(in: cluster.client, ["addr", "add", "\(Self.deniedClient)/24", "dev", cluster.client.interface])
        try cluster.ip(in: cluster.client, ["route", "add", Self.externalRange, "via", "\(nodeA.ipv4)"])
    }

    var nodeA: ClusterNode { cluster.node(.a) }
    var client: ClusterClient { cluster.client }

    /// The pod named `name` (a1, a2, b1, b2).
    func pod(_ name: String) -> ClusterPod { cluster.pod(named: name)! }

    /// Addresses node-a may masquerade to: its bridge addresses and its pod gateway.
    var nodeAAddresses: Set<IPAddress> {
        Set([nodeA.ipv4, nodeA.ipv6, IPAddress("10.244.1.1")].compactMap { $0 })
    }

    /// Runs `switchyard ARGS…` inside node-a's namespace (not checked).
    func switchyard(_ args: [String], wrapper: [String] = []) throws -> CommandResult {
        try cluster.run(in: nodeA, wrapper + [try cluster.switchyardExecutable()] + args, timeout: .seconds(60))
    }

    /// Writes `manifests` to a fresh file and runs `switchyard run --once` for node-a; throws unless it succeeds.
    @discardableResult
    func apply(_ manifests: ManifestSet, extraFlags: [String] = []) throws -> CommandResult {
        generation += 1
        let file = directory.appendingPathComponent("manifests-\(generation).json")
        try manifests.json(nodes: cluster.nodes).write(to: file)
        return try switchyard(runArguments(file.path) + extraFlags).check()
    }

    /// `run --once` arguments for a manifest file.
    func runArguments(_ manifestPath: String) -> [String] {
        ["run", "--once", "--backend", backend.rawValue, "--node", "node-a", "--manifests", manifestPath,
         "--cluster-cidr", Self.clusterCIDRs.joined(separator: ",")]
    }

    /// `count` probes (fresh source port each).
    func probe(
        from source: some InNetworkNamespace, _ proto: L4Protocol, _ address: IPAddress, _ port: UInt16,
        count: Int = 1, bind: IPAddress? = nil, timeout: Duration = .milliseconds(500)
    ) throws -> [ProbeResult] {
        try cluster.probe(from: source, proto, address, port, timeout: timeout, count: count, bind: bind)
    }

    /// The kernel state the backend writes, as its listing command prints it in node-a.
    func ruleset() throws -> String {
        try cluster.run(in: nodeA, backend.rulesetCommand).check().stdout
    }
}

/// Addresses used by the traffic tests.
enum Addr {
    static func v4(_ s: String) -> IPAddress { IPAddress(s)! }
    /// A service ClusterIP 10.96.0.N.
    static func svc(_ n: Int) -> IPAddress { IPAddress("10.96.0.\(n)")! }
    /// A service ClusterIP fd00:10:96::N (hex).
    static func svc6(_ n: Int) -> IPAddress { IPAddress("fd00:10:96::\(String(n, radix: 16))")! }
    /// An external / LoadBalancer address 198.51.100.N (routed by the client via node-a).
    static func ext(_ n: Int) -> IPAddress { IPAddress("198.51.100.\(n)")! }
}

extension Array where Element == ProbeResult {
    /// Names of the pods that answered.
    var answerers: Set<String> { Set(compactMap(\.answeredBy)) }
    /// Source addresses the servers saw.
    var sourcesSeen: Set<IPAddress> { Set(compactMap(\.sourceSeen?.address)) }
    /// True when every attempt was answered.
    var allAnswered: Bool { !isEmpty && allSatisfy { $0.outcome == .answered } }
    /// The printed lines, for failure messages.
    var lines: String { map(\.line).joined(separator: " | ") }
}
