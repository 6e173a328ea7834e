import Apply

/// The IPVS applier's helper tools (`ipset`, `iptables-restore`, …) run through the shared `ToolProcess`.
enum HostProcess {
    typealias Result = ToolProcess.Result

    /// Runs `argv` (argv[0] looked up in PATH) with `input` on stdin.
    static func run(_ argv: [String], input: String = "") throws -> Result { try ToolProcess.run(argv, input: input) }
}
