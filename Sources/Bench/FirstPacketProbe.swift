import Apply
import Foundation
import Model
import SwitchyardCore
import TestCluster

/// The data-plane measurement: TCP connect latency of the first packet of new connections to
/// ClusterIPs, through the rules a backend programmed into the proxy namespace.
///
/// Topology (all throwaway namespaces, nothing in the host's):
/// `client` (192.0.2.201) ⇄ `proxy` (the namespace holding the rules; routes the probed endpoints'
/// pod IPs to the backend) ⇄ `backend` (192.0.2.206; every probed pod IP is a local address, an
/// echo server listens on every probed target port). Each probe is a fresh socket, so a fresh
/// conntrack entry: every SYN walks the backend's NAT rules, which is where iptables' linear
/// service chain shows.
struct FirstPacketProbe: Sendable {
    /// The probed service ports: TCP, IPv4, ClusterIP traffic forwarded to cluster endpoints.
    let targets: [ServicePort]
    /// Connections per target.
    let probesPerTarget: Int
    let switchyard: String

    static let clientIP = "192.0.2.201", proxyClientSide = "192.0.2.202"
    static let proxyBackendSide = "192.0.2.205", backendIP = "192.0.2.206"

    /// Picks up to `count` ports spread evenly over `state`'s sorted ClusterIP ports (so the sample
    /// covers the front and the back of any linear rule list).
    static func pickTargets(_ state: ProxyState, count: Int) -> [ServicePort] {
        let eligible = state.ports(family: .ipv4).filter {
            $0.key.proto == .tcp && $0.internalTraffic == .forward(.cluster) && !$0.clusterEndpoints.isEmpty
        }.sorted { $0.key < $1.key }
        guard count > 0, !eligible.isEmpty else { return [] }
        let n = min(count, eligible.count)
        return (0..<n).map { eligible[$0 * eligible.count / n] }
    }

    /// Builds client and backend namespaces around `proxy`, starts the echo server, probes every
    /// target and returns the connect latencies (seconds) of the answered probes. Throws when
    /// fewer than half the probes are answered (the rules or the topology are broken).
    func measure(proxy: String, namespaces: BenchNamespaces) async throws -> [Double] {
        guard !targets.isEmpty else { throw BenchError("first packet: no TCP ClusterIP service with endpoints to probe") }
        let client = try namespaces.create("client")
        defer { namespaces.delete(client) }
        let backend = try namespaces.create("backend")
        defer { namespaces.delete(backend) }
        try wire(proxy: proxy, client: client, backend: backend)
        let ports = Array(Set(targets.flatMap { $0.clusterEndpoints.map(\.port) })).sorted()
        let server = try namespaces.spawn(
            ["ip", "netns", "exec", backend, switchyard, "echo-server", "--name", "backend", "--tcp"] + ports.map(String.init),
            readyWhen: "listening")
        defer { namespaces.stop(server) }

        // Warm-up: neighbour entries on both links, page cache for the probe binary.
        _ = try probe(targets[0], count: 2, client: client, namespaces: namespaces)
        var samples: [Double] = [], failures: [String] = []
        for target in targets {
            for result in try probe(target, count: probesPerTarget, client: client, namespaces: namespaces) {
                if result.outcome == .answered { samples.append(result.latency.seconds) } else { failures.append(result.line) }
            }
        }
        guard samples.count * 2 >= targets.count * probesPerTarget else {
            throw BenchError("first packet: only \(samples.count) of \(targets.count * probesPerTarget) probes answered (e.g. \(failures.first ?? "?"))")
        }
        return samples
    }

    /// Runs `switchyard probe` in the client namespace, tracked by `namespaces` (so Ctrl-C stops it).
    private func probe(_ target: ServicePort, count: Int, client: String, namespaces: BenchNamespaces) throws -> [ProbeResult] {
        var lines: [String] = []
        let status = try namespaces.runForeground(["ip", "netns", "exec", client, switchyard, "probe", "\(target.clusterIP)", "\(target.port)",
                                                   "--count", "\(count)", "--timeout-ms", "2000"]) { lines.append($0) }
        let results = lines.compactMap { ProbeResult(line: $0) }
        guard status == 0, results.count == count else {
            throw BenchError("first packet: probe \(target.clusterIP):\(target.port) failed (exit \(status)): \(lines.joined(separator: " ").prefix(300))")
        }
        return results
    }

    /// Links and routes; the backend owns each probed endpoint IP as a local /32.
    private func wire(proxy: String, client: String, backend: String) throws {
        let endpointIPs = Array(Set(targets.flatMap { $0.clusterEndpoints.map(\.ip) })).sorted()
        try batch(proxy, [
            "link add sy-cl type veth peer name eth0 netns \(client)",
            "link add sy-be type veth peer name eth0 netns \(backend)",
            "addr add \(Self.proxyClientSide)/30 dev sy-cl", "addr add \(Self.proxyBackendSide)/30 dev sy-be",
            "link set sy-cl up", "link set sy-be up",
        ] + endpointIPs.map { "route replace \($0)/32 via \(Self.backendIP)" })
        try batch(client, ["addr add \(Self.clientIP)/30 dev eth0", "link set eth0 up",
                           "route add default via \(Self.proxyClientSide)"])
        try batch(backend, ["addr add \(Self.backendIP)/30 dev eth0", "link set eth0 up",
                            "route add default via \(Self.proxyBackendSide)"]
                  + endpointIPs.map { "route replace local \($0)/32 dev lo table local" })
        for (ns, settings) in [(proxy, ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"]),
                               (backend, ["net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"])] {
            let r = try ToolProcess.run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w"] + settings)
            guard r.status == 0 else { throw BenchError("first packet: sysctl in \(ns) failed: \(r.stderr)") }
        }
    }

    private func batch(_ ns: String, _ lines: [String]) throws {
        let r = try ToolProcess.run(["ip", "-n", ns, "-batch", "-"], input: lines.joined(separator: "\n") + "\n")
        guard r.status == 0 else { throw BenchError("first packet: ip -batch in \(ns) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
    }
}
