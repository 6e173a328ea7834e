import ArgumentParser
import Foundation
import KubeObjects
import TestAPIServer
import Watch

/// `switchyard test-apiserver` (hidden): runs the in-process test API server on 127.0.0.1 with TLS and a
/// bearer token, writes `DIR/kubeconfig` for it, prints `listening URL` and serves until SIGTERM/SIGINT.
/// For end-to-end tests and the benchmark, run inside the same network namespace as the daemon.
struct TestAPIServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-apiserver", abstract: "Run the test Kubernetes API server (tests only).", shouldDisplay: false)

    @Option(help: "Directory for the kubeconfig (created if missing).")
    var dir: String

    @Option(help: "Bearer token clients must send.")
    var token: String = "switchyard-test"

    @Option(parsing: .upToNextOption, help: "Manifests to create before listening.")
    var preload: [String] = []

    func run() async throws {
        let signals = SignalWaiter()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let certs = try TestCertificates.generate()
        let server = TestAPIServer(historyLimit: 1_000_000)
        if !preload.isEmpty {
            let load = try ManifestSource(paths: preload).load()
            for case .upsert(let object) in load.events { try server.create(object) }
            FileHandle.standardError.write(Data("preloaded \(load.events.count) objects\n".utf8))
        }
        let url = try await server.start(tls: certs, token: token)
        let kubeconfig = (dir as NSString).appendingPathComponent("kubeconfig")
        try Self.kubeconfig(server: url, caPEM: certs.caCertificatePEM, token: token)
            .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        FileHandle.standardOutput.write(Data("listening \(url.absoluteString) kubeconfig \(kubeconfig)\n".utf8))
        _ = await signals.next()
        await server.stop()
    }

    static func kubeconfig(server: URL, caPEM: String, token: String) -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: test
        clusters:
        - name: test
          cluster:
            server: \(server.absoluteString)
            certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())
        contexts:
        - name: test
          context: {cluster: test, user: test}
        users:
        - name: test
          user: {token: \(token)}
        """
    }
}
