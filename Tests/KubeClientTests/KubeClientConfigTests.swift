import Foundation
import KubeClient
import Testing

/// A temporary directory removed when the test ends.
final class TempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sy-kc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ text: String) throws -> String {
        let p = (path as NSString).appendingPathComponent(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}

let fakePEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
let fakeKey = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"

func kubeconfig(cluster: String, user: String = "token: abc", current: String? = "ctx") -> String {
    """
    apiVersion: v1
    kind: Config
    \(current.map { "current-context: \($0)" } ?? "")
    clusters:
    - name: c1
      cluster:
    \(cluster.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    contexts:
    - name: ctx
      context: {cluster: c1, user: u1, namespace: default}
    users:
    - name: u1
      user:
    \(user.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    """
}

@Suite("KubeClientConfig")
struct KubeClientConfigTests {
    @Test("in-cluster: host, port, CA and token file from the service-account directory")
    func inCluster() throws {
        let dir = try TempDir()
        _ = try dir.write("token", "tok\n")
        _ = try dir.write("ca.crt", fakePEM)
        let c = try KubeClientConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                                               serviceAccountDirectory: dir.path)
        #expect(c.server.absoluteString == "https://10.96.0.1:443")
        #expect(c.token == .file(dir.path + "/token"))
        #expect(c.certificateAuthorityPEM == Array(fakePEM.utf8))
        let v6 = try KubeClientConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "6443"],
                                                serviceAccountDirectory: dir.path)
        #expect(v6.server.absoluteString == "https://[fd00:10:96::1]:6443")
    }

    @Test("in-cluster: each missing piece is a clear error")
    func inClusterErrors() throws {
        let dir = try TempDir()
        let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        func message(_ env: [String: String]) -> String? {
            do { _ = try KubeClientConfig.inCluster(environment: env, serviceAccountDirectory: dir.path); return nil }
            catch { return "\(error)" }
        }
        #expect(message([:])?.contains("KUBERNETES_SERVICE_HOST") == true)
        #expect(message(["KUBERNETES_SERVICE_HOST": "10.96.0.1"])?.contains("KUBERNETES_SERVICE_PORT") == true)
        #expect(message(["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "http"])?.contains("not a port") == true)
        #expect(message(env)?.contains("token") == true)
        _ = try dir.write("token", "tok")
        #expect(message(env)?.contains("ca.crt") == true)
        _ = try dir.write("ca.crt", "not pem")
        #expect(message(env)?.contains("not PEM") == true)
        _ = try dir.write("ca.crt", fakePEM)
        #expect(message(env) == nil)
    }

    @Test("kubeconfig: inline CA data and token")
    func inlineData() throws {
        let ca = Data(fakePEM.utf8).base64EncodedString()
        let c = try KubeClientConfig.kubeconfig(yaml: kubeconfig(cluster: "server: https://192.0.2.1:6443\ncertificate-authority-data: \(ca)"),
                                                baseDirectory: "/nonexistent")
        #expect(c.server.absoluteString == "https://192.0.2.1:6443")
        #expect(c.certificateAuthorityPEM == Array(fakePEM.utf8))
        #expect(c.token == .value("abc"))
        #expect(!c.insecureSkipTLSVerify && c.warnings.isEmpty)
    }

    @Test("kubeconfig: files relative to the kubeconfig, tokenFile, client certificate and key")
    func filesAndClientCert() throws {
        let dir = try TempDir()
        _ = try dir.write("ca.pem", fakePEM)
        _ = try dir.write("client.pem", fakePEM)
        _ = try dir.write("client.key", fakeKey)
        _ = try dir.write("tok", "t")
        let path = try dir.write("config", kubeconfig(
            cluster: "server: https://example.invalid\ncertificate-authority: ca.pem",
            user: "tokenFile: tok\nclient-certificate: client.pem\nclient-key: \(dir.path)/client.key"))
        let c = try KubeClientConfig.kubeconfig(path: path)
        #expect(c.certificateAuthorityPEM == Array(fakePEM.utf8))
        #expect(c.token == .file(dir.path + "/tok"))
        #expect(c.clientCertificatePEM == Array(fakePEM.utf8))
        #expect(c.clientKeyPEM == Array(fakeKey.utf8))
        let data = try KubeClientConfig.kubeconfig(yaml: kubeconfig(
            cluster: "server: https://example.invalid",
            user: "client-certificate-data: \(Data(fakePEM.utf8).base64EncodedString())\nclient-key-data: \(Data(fakeKey.utf8).base64EncodedString())"),
            baseDirectory: dir.path)
        #expect(data.clientKeyPEM == Array(fakeKey.utf8) && data.token == .none)
    }

    @Test("kubeconfig: insecure-skip-tls-verify only when asked, and then with a warning")
    func insecure() throws {
        let c = try KubeClientConfig.kubeconfig(yaml: kubeconfig(cluster: "server: https://example.invalid\ninsecure-skip-tls-verify: true"),
                                                baseDirectory: "/")
        #expect(c.insecureSkipTLSVerify)
        #expect(c.warnings.contains { $0.contains("NOT verified") })
        let plain = try KubeClientConfig.kubeconfig(yaml: kubeconfig(cluster: "server: https://example.invalid"), baseDirectory: "/")
        #expect(!plain.insecureSkipTLSVerify && plain.certificateAuthorityPEM == nil)
    }

    @Test("kubeconfig: the explicit context wins over current-context")
    func explicitContext() throws {
        let yaml = kubeconfig(cluster: "server: https://example.invalid", current: nil)
        #expect(throws: KubeConfigError.self) { try KubeClientConfig.kubeconfig(yaml: yaml, baseDirectory: "/") }
        #expect(try KubeClientConfig.kubeconfig(yaml: yaml, baseDirectory: "/", context: "ctx").server.host == "example.invalid")
    }

    @Test("kubeconfig: every missing or invalid piece is named", arguments: [
        (kubeconfig(cluster: "server: https://x", current: "nope"), "context \"nope\" not found"),
        (kubeconfig(cluster: "certificate-authority-data: AAAA"), "has no server"),
        (kubeconfig(cluster: "server: ftp://x"), "not an http(s) URL"),
        (kubeconfig(cluster: "server: https://x\ncertificate-authority-data: '!!notbase64'"), "not valid base64"),
        (kubeconfig(cluster: "server: https://x\ncertificate-authority-data: \(Data("hello".utf8).base64EncodedString())"), "does not hold PEM"),
        (kubeconfig(cluster: "server: https://x\ncertificate-authority: /nonexistent/ca.pem"), "missing or unreadable"),
        (kubeconfig(cluster: "server: https://x", user: "exec: {command: aws}"), "exec credential plugins"),
        (kubeconfig(cluster: "server: https://x", user: "tokenFile: /nonexistent/token"), "tokenFile"),
        (kubeconfig(cluster: "server: https://x", user: "client-certificate-data: \(Data(fakePEM.utf8).base64EncodedString())"), "without a key"),
        ("clusters: 7", "not a valid kubeconfig"),
    ])
    func errors(yaml: String, expected: String) throws {
        do {
            _ = try KubeClientConfig.kubeconfig(yaml: yaml, baseDirectory: "/")
            Issue.record("expected an error containing \(expected)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("kubeconfig: a missing file is an error naming the path")
    func missingFile() {
        #expect { try KubeClientConfig.kubeconfig(path: "/nonexistent/kubeconfig") } throws: { "\($0)".contains("/nonexistent/kubeconfig") }
    }

    @Test("backoff grows exponentially, is capped, and jitter only stretches")
    func backoff() {
        let b = Backoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2, jitter: 0.5)
        var rng = SplitMix64(state: 7)
        let d1 = b.delay(attempt: 1, using: &rng), d3 = b.delay(attempt: 3, using: &rng), d9 = b.delay(attempt: 9, using: &rng)
        #expect(d1 >= .milliseconds(100) && d1 <= .milliseconds(150))
        #expect(d3 >= .milliseconds(400) && d3 <= .milliseconds(600))
        #expect(d9 >= .seconds(1) && d9 <= .milliseconds(1500))
    }

    @Test("trigger times parse with and without fractional seconds")
    func triggerTimes() throws {
        let base = try #require(ClusterWatcher.parseTriggerTime("2024-03-01T12:00:00Z"))
        #expect(base.timeIntervalSince1970 == 1_709_294_400)
        let nano = try #require(ClusterWatcher.parseTriggerTime("2024-03-01T12:00:00.123456789Z"))
        #expect(abs(nano.timeIntervalSince(base) - 0.123456789) < 1e-6)
        #expect(ClusterWatcher.parseTriggerTime("yesterday") == nil)
    }
}
