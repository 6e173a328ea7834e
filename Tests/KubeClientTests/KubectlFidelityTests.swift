import Foundation
import KubeObjects
import TestAPIServer
import Testing

/// The real kubectl against the test server: the server must be faithful enough for it.
@Suite("kubectl against the test API server", .enabled(if: FileManager.default.isExecutableFile(atPath: Kubectl.path)))
struct KubectlFidelityTests {
    @Test("create -f, get -A -o json, and get --watch")
    func kubectl() async throws {
        let certs = try TestCertificates.generate()
        let server = TestAPIServer()
        let url = try await server.start(tls: certs, token: "kubectl-token")
        defer { Task { await server.stop() } }
        let dir = try TempDir()
        let config = try dir.write("kubeconfig", """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: test
              cluster:
                server: \(url.absoluteString)
                certificate-authority-data: \(Data(certs.caCertificatePEM.utf8).base64EncodedString())
            contexts:
            - name: test
              context: {cluster: test, user: test}
            users:
            - name: test
              user: {token: kubectl-token}
            """)
        let manifest = try dir.write("svc.yaml", """
            apiVersion: v1
            kind: Service
            metadata:
              name: from-kubectl
              namespace: default
              labels: {app: web}
            spec:
              clusterIP: 10.96.0.77
              ports:
              - {name: http, protocol: TCP, port: 80, targetPort: 8080}
              selector: {app: web}
            """)
        let kubectl = Kubectl(kubeconfig: config, cacheDir: dir.path + "/cache")

        let created = try await kubectl.run(["create", "-f", manifest])
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("service/from-kubectl created"))
        let stored = String(decoding: try server.getJSON(.services, namespace: "default", name: "from-kubectl"), as: UTF8.self)
        #expect(stored.contains(#""selector":{"app":"web"}"#), "fields KubeObjects does not model survive: \(stored)")

        let listed = try await kubectl.run(["get", "svc", "-A", "-o", "json"])
        #expect(listed.status == 0, "\(listed.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])
        let items = try #require(json["items"] as? [[String: Any]])
        #expect(items.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String } == ["from-kubectl"])
        #expect(((items.first?["spec"] as? [String: Any])?["selector"] as? [String: String]) == ["app": "web"])
        #expect(server.requests.contains { $0.method == "POST" && $0.uri.contains("fieldValidation=Strict") },
                "kubectl left validation to the server (OpenAPI v3 advertises fieldValidation)")

        // get --watch: lists, then watches; an object created meanwhile must be printed.
        let watching = kubectl.start(["get", "svc", "--watch", "--request-timeout=30s"])
        let deadline = ContinuousClock.now + .seconds(20)
        while !server.requests.contains(where: { $0.uri.contains("/services?") && $0.uri.contains("watch=true") }),
              ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        try server.create(.service(Service(metadata: ObjectMeta(name: "appeared-later", namespace: "default"),
                                           spec: ServiceSpec(clusterIP: "10.96.0.78", ports: [ServicePortSpec(port: 81)]))))
        #expect(server.requests.contains { $0.uri.contains("watch=true") }, "kubectl opened a watch before the create")
        let output = await kubectl.finish(watching, after: .seconds(3))
        #expect(output.contains("from-kubectl"), "\(output)")
        #expect(output.contains("appeared-later"), "\(output)")
        // Table responses give kubectl the real columns.
        #expect(output.contains("CLUSTER-IP") && output.contains("10.96.0.77") && output.contains("80/TCP"), "\(output)")
    }
}

/// Runs /usr/bin/kubectl with a kubeconfig and bounded time.
struct Kubectl {
    static let path = "/usr/bin/kubectl"
    var kubeconfig: String
    var cacheDir: String

    final class Running: @unchecked Sendable {
        let process = Process()
        let pipe = Pipe()
    }

    func start(_ args: [String]) -> Running {
        let r = Running()
        r.process.executableURL = URL(fileURLWithPath: Self.path)
        r.process.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir] + args
        r.process.standardOutput = r.pipe
        r.process.standardError = r.pipe
        try? r.process.run()
        return r
    }

    /// Stops the process after `after` (if still running) and returns all its output.
    func finish(_ r: Running, after: Duration) async -> String {
        let deadline = ContinuousClock.now + after
        while r.process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if r.process.isRunning { r.process.terminate() }
        let data = r.pipe.fileHandleForReading.readDataToEndOfFile()
        r.process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func run(_ args: [String], timeout: Duration = .seconds(30)) async throws -> (status: Int32, output: String) {
        let r = start(args)
        let output = await finish(r, after: timeout)
        return (r.process.terminationStatus, output)
    }
}
