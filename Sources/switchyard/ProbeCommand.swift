import ArgumentParser
import Foundation
import SwitchyardCore
import TestCluster

/// `switchyard probe`: the test-cluster client (hidden). One line per attempt, see `ProbeResult`.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Connect to ADDR PORT and print who answered (test clusters).",
        shouldDisplay: false)

    @Flag(help: "Transport (default TCP).")
    var transport: Transport = .tcp

    @Argument(help: "Address to connect to.")
    var address: String

    @Argument(help: "Port to connect to.")
    var port: UInt16

    @Option(name: .customLong("timeout-ms"), help: "Timeout per attempt in milliseconds.")
    var timeoutMs: Int = 1000

    @Option(help: "Number of attempts, each from a fresh socket.")
    var count: Int = 1

    @Option(help: "Local address to bind before connecting.")
    var bind: String?

    enum Transport: String, EnumerableFlag {
        case tcp, udp, sctp
        var proto: L4Protocol { self == .tcp ? .tcp : self == .udp ? .udp : .sctp }
    }

    func validate() throws {
        guard IPAddress(address) != nil else { throw ValidationError("not an IP address: \(address)") }
        if let bind, IPAddress(bind) == nil { throw ValidationError("not an IP address: \(bind)") }
        guard (1...60_000).contains(timeoutMs) else { throw ValidationError("--timeout-ms must be 1…60000") }
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be 1…10000") }
    }

    func run() async throws {
        let prober = Prober(
            proto: transport.proto, target: SocketEndpoint(IPAddress(address)!, port),
            timeout: .milliseconds(timeoutMs), bindAddress: bind.flatMap { IPAddress($0) })
        for _ in 0..<count {
            FileHandle.standardOutput.write(Data((prober.probe().line + "\n").utf8))
        }
    }
}
