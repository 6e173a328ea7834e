import Foundation
import SwitchyardCore

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway two-node cluster made of network namespaces, for real-traffic tests.
///
/// node-a and node-b (192.0.2.10/.11, 2001:db8::10/::11) and the external client (203.0.113.5,
/// 2001:db8::5) sit on a bridge in a "fabric" namespace; pods hang off their node by veth pairs.
/// The fabric namespace is also the upstream router (192.0.2.1, 2001:db8::1): the nodes' default
/// route points there and it answers ICMP unreachable for anything else, so node-local traffic to a
/// service address is routed (and can be DNATed in OUTPUT) like on a real node.
/// Nothing touches the caller's own network namespace except `ip netns add/del`.
/// Prefer `withTestCluster(_:_:)`, which always tears down; after `create` call `teardown()` yourself.
public final class TestCluster: @unchecked Sendable {
    /// The layout: names, addresses and the steps that built it.
    public let plan: TopologyPlan
    /// The spec it was built from.
    public let spec: TestClusterSpec

    /// node-a and node-b, in that order.
    public var nodes: [ClusterNode] { plan.nodes }
    /// The pods in spec order.
    public var pods: [ClusterPod] { plan.pods }
    /// The external client.
    public var client: ClusterClient { plan.client }
    /// The namespace holding the bridge `br0` and the upstream router (`TopologyPlan.routerV4/V6`).
    public var fabric: NetworkNamespace { plan.fabric }
    /// Every namespace of the cluster.
    public var namespaces: [NetworkNamespace] { plan.namespaces }
    /// The prefix all namespace names start with.
    public var prefix: String { plan.prefix }

    private let lock = NSLock()
    private var spawned: [RunningProcess] = []
    private var created: [NetworkNamespace] = []
    private var tornDown = false
    private var executable: String?

    private init(plan: TopologyPlan, spec: TestClusterSpec) {
        self.plan = plan
        self.spec = spec
        executable = spec.switchyardExecutable
    }

    /// True when this process can build clusters: running as root with `ip` available.
    public static func isSupported(ipCommand: String = "ip") -> Bool {
        geteuid() == 0 && ProcessRunner.executableURL(for: ipCommand) != nil
    }

    /// A prefix no other live cluster uses: `sy<pid>x<4 hex>-`.
    public static func uniquePrefix() -> String {
        "sy\(getpid())x\(String(UInt16.random(in: 0...UInt16.max), radix: 16))-"
    }

    /// Builds the cluster. On any failure everything created so far is removed before the error is rethrown.
    public static func create(_ spec: TestClusterSpec = TestClusterSpec()) throws -> TestCluster {
        let plan = try TopologyPlan(spec: spec, prefix: spec.namePrefix ?? uniquePrefix())
        let cluster = TestCluster(plan: plan, spec: spec)
        do {
            for step in plan.steps { try cluster.execute(step) }
        } catch {
            cluster.teardown()
            throw error
        }
        return cluster
    }

    func cachedExecutable() -> String? { lock.withLock { executable } }
    func cacheExecutable(_ path: String) { lock.withLock { executable = path } }

    /// The node with `id`.
    public func node(_ id: NodeID) -> ClusterNode { plan.node(id) }

    /// The pod named `name`, nil when the spec had none.
    public func pod(named name: String) -> ClusterPod? { pods.first { $0.name == name } }

    /// Runs `argv` inside `target`'s namespace (`ip netns exec`) and waits for it.
    /// Does not throw for a non-zero exit: look at `status`, or call `check()` on the result.
    /// A command still running after `timeout` is killed (status 137).
    public func run(
        in target: some InNetworkNamespace, _ argv: [String], input: String? = nil, timeout: Duration = .seconds(60)
    ) throws -> CommandResult {
        try ProcessRunner.run([spec.ipCommand, "netns", "exec", target.namespace.name] + argv, input: input, timeout: timeout)
    }

    /// Runs `ip -n NAMESPACE args…` (faster than `run(in:)`: no mount namespace) and throws unless it succeeds.
    @discardableResult
    public func ip(in target: some InNetworkNamespace, _ args: [String]) throws -> CommandResult {
        try ProcessRunner.run([spec.ipCommand, "-n", target.namespace.name] + args).check()
    }

    /// Starts `argv` inside `target`'s namespace in the background; `teardown()` stops it.
    public func spawn(in target: some InNetworkNamespace, _ argv: [String]) throws -> RunningProcess {
        let process = try RunningProcess([spec.ipCommand, "netns", "exec", target.namespace.name] + argv)
        let late = lock.withLock { () -> Bool in
            if !tornDown { spawned.append(process) }
            return tornDown
        }
        if late { process.stop() }
        return process
    }

    /// Stops every spawned process and deletes every namespace of the cluster. Never throws;
    /// idempotent. Also kills stray processes still inside the namespaces (`ip netns pids`).
    public func teardown() {
        let (processes, namespaces) = lock.withLock { () -> ([RunningProcess], [NetworkNamespace]) in
            tornDown = true
            defer { spawned = []; created = [] }
            return (spawned, created)
        }
        for process in processes { process.stop(grace: .milliseconds(300)) }
        TestCluster.delete(namespaces, ipCommand: spec.ipCommand)
    }

    /// Deletes every namespace whose name starts with `prefix` (killing processes inside first),
    /// e.g. the leftovers of a crashed run. Returns the names removed. A prefix shorter than 3 characters is refused.
    @discardableResult
    public static func removeLeftovers(prefix: String, ipCommand: String = "ip") -> [String] {
        guard prefix.count >= 3 else { return [] }
        let names = listNamespaces(ipCommand: ipCommand).filter { $0.hasPrefix(prefix) }
        delete(names.map(NetworkNamespace.init), ipCommand: ipCommand)
        return names
    }

    /// Deletes namespaces left by clusters of processes that no longer exist (names `sy<pid>x…-` whose
    /// pid is gone). Safe while other test processes run their own clusters. Returns the names removed.
    @discardableResult
    public static func removeStaleClusters(ipCommand: String = "ip") -> [String] {
        let stale = listNamespaces(ipCommand: ipCommand).filter { name in
            guard let pid = ownerPID(ofNamespace: name) else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        delete(stale.map(NetworkNamespace.init), ipCommand: ipCommand)
        return stale
    }

    /// The pid encoded in a cluster namespace name `sy<pid>x<hex>-…`, nil for other names.
    public static func ownerPID(ofNamespace name: String) -> pid_t? {
        guard name.hasPrefix("sy") else { return nil }
        let digits = name.dropFirst(2).prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, name.dropFirst(2 + digits.count).first == "x",
              name.contains("-"), let pid = pid_t(digits) else { return nil }
        return pid
    }

    /// Names of all network namespaces (`ip netns list`).
    public static func listNamespaces(ipCommand: String = "ip") -> [String] {
        guard let result = try? ProcessRunner.run([ipCommand, "netns", "list"]), result.succeeded else { return [] }
        return result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.map(String.init)
        }
    }

    private func execute(_ step: TopologyPlan.Step) throws {
        switch step {
        case .ipBatch(let namespace, let lines):
            var argv = [spec.ipCommand]
            if let namespace { argv += ["-n", namespace.name] }
            argv += ["-batch", "-"]
            let isNetnsAdd = namespace == nil
            let before = isNetnsAdd ? Set(TestCluster.listNamespaces(ipCommand: spec.ipCommand)) : []
            let result = try ProcessRunner.run(argv, input: lines.joined(separator: "\n") + "\n")
            if isNetnsAdd {
                // Record what this call made even when some `netns add` failed, so teardown removes
                // exactly that (and never a namespace that existed before).
                let after = Set(TestCluster.listNamespaces(ipCommand: spec.ipCommand)).subtracting(before)
                lock.withLock { created = plan.namespaces.filter { after.contains($0.name) } }
            }
            try result.check()
        case .sysctl(let namespace, let settings):
            try run(in: namespace, ["sysctl", "-q", "-w"] + settings).check()
        }
    }

    private static func delete(_ namespaces: [NetworkNamespace], ipCommand: String) {
        guard !namespaces.isEmpty else { return }
        for ns in namespaces {
            guard let pids = try? ProcessRunner.run([ipCommand, "netns", "pids", ns.name]) else { continue }
            for pid in pids.stdout.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        }
        let script = namespaces.map { "netns del \($0.name)" }.joined(separator: "\n") + "\n"
        _ = try? ProcessRunner.run([ipCommand, "-force", "-batch", "-"], input: script)
    }
}
