/// Why building or driving a test cluster failed.
public enum TestClusterError: Error, CustomStringConvertible, Equatable {
    /// The spec cannot be built (bad pod name, duplicate pod, too many pods, bad prefix).
    case invalidSpec(String)
    /// A command exited non-zero; `argv` is what ran.
    case commandFailed(argv: [String], status: Int32, stderr: String)
    /// A program could not be started at all.
    case launchFailed(argv: [String], reason: String)
    /// The `switchyard` executable was not found (see `SwitchyardExecutable.locate`).
    case executableNotFound(searched: [String])
    /// A spawned process did not print what was awaited in time.
    case notReady(argv: [String], output: String)
    /// A probe printed a line that is not a probe result.
    case unparsableProbeOutput(String)

    public var description: String {
        switch self {
        case .invalidSpec(let why): return "invalid test cluster spec: \(why)"
        case .commandFailed(let argv, let status, let stderr):
            return "`\(argv.joined(separator: " "))` exited \(status): \(stderr)"
        case .launchFailed(let argv, let reason): return "cannot start `\(argv.joined(separator: " "))`: \(reason)"
        case .executableNotFound(let searched):
            return "switchyard executable not found (searched: \(searched.joined(separator: ", ")))"
        case .notReady(let argv, let output):
            return "`\(argv.joined(separator: " "))` did not become ready; output so far: \(output)"
        case .unparsableProbeOutput(let line): return "unparsable probe output: \(line)"
        }
    }
}
