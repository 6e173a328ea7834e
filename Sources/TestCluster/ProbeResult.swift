import SwitchyardCore

/// One attempt of `switchyard probe`, as printed on one line and parsed back by the harness.
///
/// Line format (one per attempt):
/// `ok POD SOURCE latency_us=N` · `refused latency_us=N` · `unreachable latency_us=N` ·
/// `timeout latency_us=N` · `error latency_us=N MESSAGE…`
public struct ProbeResult: Hashable, Sendable, CustomStringConvertible {
    /// How the attempt ended.
    public enum Outcome: Hashable, Sendable {
        /// An echo server answered.
        case answered
        /// Connection refused: TCP RST, or ICMP port-unreachable (seen as ECONNREFUSED).
        case refused
        /// ICMP host/network unreachable or administratively prohibited (EHOSTUNREACH, ENETUNREACH, EACCES).
        case unreachable
        /// Nothing came back in time (dropped).
        case timeout
        /// Anything else (a local error, a reset after connecting, garbage instead of an answer).
        case failed(String)
    }

    public let outcome: Outcome
    /// The name the echo server answered with (the pod name), when answered.
    public let answeredBy: String?
    /// The source address and port the server saw, when answered.
    public let sourceSeen: SocketEndpoint?
    /// Client-side time from connect() until the connection was established (TCP/SCTP) or the
    /// reply arrived (UDP), or until the refusal / timeout.
    public let latency: Duration

    public init(outcome: Outcome, answeredBy: String? = nil, sourceSeen: SocketEndpoint? = nil, latency: Duration) {
        self.outcome = outcome
        self.answeredBy = answeredBy
        self.sourceSeen = sourceSeen
        self.latency = latency
    }

    var latencyMicroseconds: Int64 {
        let (s, atto) = latency.components
        return s * 1_000_000 + atto / 1_000_000_000_000
    }

    /// The printed form (see the type's documentation).
    public var line: String {
        let lat = "latency_us=\(latencyMicroseconds)"
        switch outcome {
        case .answered: return "ok \(answeredBy ?? "?") \(sourceSeen.map(\.description) ?? "?") \(lat)"
        case .refused: return "refused \(lat)"
        case .unreachable: return "unreachable \(lat)"
        case .timeout: return "timeout \(lat)"
        case .failed(let message): return "error \(lat) \(message)"
        }
    }

    public var description: String { line }

    /// Parses one printed line; nil when it is not a probe result.
    public init?(line: some StringProtocol) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let kind = words.first,
              let latencyWord = words.first(where: { $0.hasPrefix("latency_us=") }),
              let micros = Int64(latencyWord.dropFirst("latency_us=".count)) else { return nil }
        let latency = Duration.microseconds(micros)
        switch kind {
        case "ok":
            guard words.count == 4, let seen = SocketEndpoint(words[2]) else { return nil }
            self.init(outcome: .answered, answeredBy: String(words[1]), sourceSeen: seen, latency: latency)
        case "refused": self.init(outcome: .refused, latency: latency)
        case "unreachable": self.init(outcome: .unreachable, latency: latency)
        case "timeout": self.init(outcome: .timeout, latency: latency)
        case "error":
            let message = words.dropFirst().filter { !$0.hasPrefix("latency_us=") }.joined(separator: " ")
            self.init(outcome: .failed(message), latency: latency)
        default: return nil
        }
    }

    /// Parses `switchyard probe` output: every non-empty line must be a result.
    public static func parse(output: String) throws -> [ProbeResult] {
        try output.split(separator: "\n").map { line in
            guard let result = ProbeResult(line: line) else { throw TestClusterError.unparsableProbeOutput(String(line)) }
            return result
        }
    }
}
