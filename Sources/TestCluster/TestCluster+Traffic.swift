import SwitchyardCore

extension TestCluster {
    /// The `switchyard` executable: the spec's path, else `SwitchyardExecutable.locate()` (cached).
    public func switchyardExecutable() throws -> String {
        if let known = cachedExecutable() { return known }
        let found = try SwitchyardExecutable.locate()
        cacheExecutable(found)
        return found
    }

    /// Starts `switchyard echo-server` in `pod` answering with the pod's name, and waits until it listens.
    /// `teardown()` stops it; stop it earlier with `RunningProcess.stop()`.
    @discardableResult
    public func startEchoServer(
        in pod: ClusterPod, tcp: [UInt16] = [], udp: [UInt16] = [], sctp: [UInt16] = []
    ) throws -> RunningProcess {
        try startEchoServer(in: pod, name: pod.name, tcp: tcp, udp: udp, sctp: sctp)
    }

    /// Starts `switchyard echo-server --name NAME` in any namespace (a node for host-network
    /// servers, the client…), and waits until it listens.
    @discardableResult
    public func startEchoServer(
        in target: some InNetworkNamespace, name: String, tcp: [UInt16] = [], udp: [UInt16] = [], sctp: [UInt16] = []
    ) throws -> RunningProcess {
        var argv = [try switchyardExecutable(), "echo-server", "--name", name]
        for (flag, ports) in [("--tcp", tcp), ("--udp", udp), ("--sctp", sctp)] where !ports.isEmpty {
            argv += [flag] + ports.map(String.init)
        }
        let process = try spawn(in: target, argv)
        guard process.waitForOutput(containing: "listening", timeout: .seconds(5)) else {
            process.stop()
            throw TestClusterError.notReady(argv: argv, output: process.output + process.errorOutput)
        }
        return process
    }

    /// Runs `switchyard probe` from `source`'s namespace against `address`:`port` and returns one
    /// result per attempt. Throws only when the probe itself could not run or printed garbage.
    public func probe(
        from source: some InNetworkNamespace, _ proto: L4Protocol, _ address: IPAddress, _ port: UInt16,
        timeout: Duration = .milliseconds(500), count: Int = 1, bind: IPAddress? = nil
    ) throws -> [ProbeResult] {
        let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        var argv = [try switchyardExecutable(), "probe", "--\(proto.lowercased)", "\(address)", "\(port)",
                    "--timeout-ms", "\(max(1, ms))", "--count", "\(count)"]
        if let bind { argv += ["--bind", "\(bind)"] }
        let result = try run(in: source, argv, timeout: timeout * (2 * count) + .seconds(10)).check()
        return try ProbeResult.parse(output: result.stdout)
    }

    /// One probe attempt (see `probe(from:_:_:_:timeout:count:bind:)`).
    public func probeOnce(
        from source: some InNetworkNamespace, _ proto: L4Protocol, _ address: IPAddress, _ port: UInt16,
        timeout: Duration = .milliseconds(500), bind: IPAddress? = nil
    ) throws -> ProbeResult {
        let results = try probe(from: source, proto, address, port, timeout: timeout, count: 1, bind: bind)
        guard let first = results.first else { throw TestClusterError.unparsableProbeOutput("") }
        return first
    }
}
