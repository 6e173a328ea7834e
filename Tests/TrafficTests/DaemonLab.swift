import Foundation
import SwitchyardCore
import TestCluster
import Testing

/// `switchyard run` as a daemon in node-a, fed by the test API server (`switchyard test-apiserver`,
/// also in node-a: namespaces have their own loopback). Objects are changed with the real kubectl.
final class DaemonLab: @unchecked Sendable {
    let lab: ProxyLab
    let api: RunningProcess
    let kubeconfig: String
    private(set) var daemon: RunningProcess?
    private var generation = 0

    private init(lab: ProxyLab, api: RunningProcess, kubeconfig: String) {
        self.lab = lab; self.api = api; self.kubeconfig = kubeconfig
    }

    static var kubectlAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") }

    /// A lab with the API server running and the cluster's Nodes created; namespaces always removed.
    /// The daemon runs `backend` (nftables unless told).
    static func with<R>(_ backend: TrafficBackend = .nftables, _ body: (DaemonLab) throws -> R) throws -> R {
        try ProxyLab.with(backend) { lab in
            let dir = lab.directory.appendingPathComponent("api").path
            let exe = try lab.cluster.switchyardExecutable()
            let api = try lab.cluster.spawn(in: lab.nodeA, [exe, "test-apiserver", "--dir", dir])
            guard api.waitForOutput(containing: "listening", timeout: .seconds(30)) else {
                throw DaemonLabError("test-apiserver did not start: \(api.errorOutput)")
            }
            let d = DaemonLab(lab: lab, api: api, kubeconfig: dir + "/kubeconfig")
            try d.create(ManifestSet([]), nodes: lab.cluster.nodes)
            defer { d.daemon?.stop(grace: .seconds(5)) }
            return try body(d)
        }
    }

    /// Starts `switchyard run` (daemon) in node-a against the API server.
    func startDaemon(extraFlags: [String] = []) throws -> RunningProcess {
        let exe = try lab.cluster.switchyardExecutable()
        let process = try lab.cluster.spawn(in: lab.nodeA, [
            exe, "run", "--backend", lab.backend.rawValue, "--kubeconfig", kubeconfig, "--hostname-override", "node-a",
            "--cluster-cidr", ProxyLab.clusterCIDRs.joined(separator: ","), "--min-sync-period", "50ms",
            "--sync-period", "30s", "--metrics-bind-address", "127.0.0.1:10249", "--healthz-bind-address", "0.0.0.0:10256",
        ] + extraFlags)
        daemon = process
        return process
    }

    /// kubectl in node-a (the API server listens on node-a's loopback).
    @discardableResult
    func kubectl(_ args: [String]) throws -> CommandResult {
        try lab.cluster.run(in: lab.nodeA, ["/usr/bin/kubectl", "--kubeconfig", kubeconfig,
                                            "--cache-dir", lab.directory.appendingPathComponent("kcache").path] + args,
                            timeout: .seconds(30)).check()
    }

    /// `kubectl create` (or `replace`) of the services in `set` (and `nodes`) through the API.
    func create(_ set: ManifestSet, nodes: [ClusterNode] = [], verb: String = "create") throws {
        generation += 1
        let file = lab.directory.appendingPathComponent("objects-\(generation).json")
        try set.json(nodes: nodes).write(to: file)
        try kubectl([verb, "--validate=false", "-f", file.path])
    }

    func replace(_ set: ManifestSet) throws { try create(set, verb: "replace") }

    /// Reads a Node through the API, lets `edit` change its JSON object and replaces it.
    func editNode(_ name: String, _ edit: (inout [String: Any]) -> Void) throws {
        let text = try kubectl(["get", "node", name, "-o", "json"]).stdout
        guard var node = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw DaemonLabError("node \(name) is not a JSON object: \(text.prefix(200))")
        }
        edit(&node)
        generation += 1
        let file = lab.directory.appendingPathComponent("node-\(generation).json")
        try JSONSerialization.data(withJSONObject: node).write(to: file)
        try kubectl(["replace", "--validate=false", "-f", file.path])
    }

    /// `curl` in node-a: status code and body.
    func http(_ url: String) throws -> (code: Int, body: String) {
        let r = try lab.cluster.run(in: lab.nodeA, ["curl", "-s", "-m", "2", "-w", "\n%{http_code}", url], timeout: .seconds(10))
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    func eventually(_ timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        } while ContinuousClock.now < deadline
        return try condition()
    }

    /// The pods answering `count` TCP probes from `source` to `address:port`.
    func answerers(from source: some InNetworkNamespace, _ address: IPAddress, _ port: UInt16, count: Int = 6) throws -> Set<String> {
        try lab.probe(from: source, .tcp, address, port, count: count, timeout: .milliseconds(300)).answerers
    }

    /// The value of a sample line `name VALUE` in the Prometheus text.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }
}

struct DaemonLabError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
