import ArgumentParser
import Foundation
import TestCluster

/// `switchyard echo-server`: the test-cluster pod server (hidden). Prints `listening …` once bound.
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Answer each connection/datagram with 'NAME SOURCE-IP:PORT' (test clusters).",
        shouldDisplay: false)

    @Option(help: "Name to answer with (the pod name).")
    var name: String

    @Option(parsing: .upToNextOption, help: "TCP ports to listen on.")
    var tcp: [UInt16] = []

    @Option(parsing: .upToNextOption, help: "UDP ports to listen on.")
    var udp: [UInt16] = []

    @Option(parsing: .upToNextOption, help: "SCTP ports (needs a kernel with SCTP).")
    var sctp: [UInt16] = []

    func validate() throws {
        guard !(tcp.isEmpty && udp.isEmpty && sctp.isEmpty) else { throw ValidationError("give at least one port") }
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else {
            throw ValidationError("--name must be one word")
        }
    }

    func run() async throws {
        let listeners = tcp.map { EchoServer.Listener(.tcp, $0) } + udp.map { EchoServer.Listener(.udp, $0) }
            + sctp.map { EchoServer.Listener(.sctp, $0) }
        let server = EchoServer(name: name, listeners: listeners)
        let sockets: [BoundSocket]
        do { sockets = try server.bind() } catch {
            FileHandle.standardError.write(Data("echo-server: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let bound = sockets.map { "\($0.listener)/\($0.family.rawValue)" }.joined(separator: " ")
        FileHandle.standardOutput.write(Data("listening \(name) \(bound)\n".utf8))
        server.serve(sockets)
    }
}
