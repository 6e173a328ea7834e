import Foundation
import KubeClient
import KubeObjects
import TestAPIServer
import Testing

@Suite("Authentication and TLS")
struct AuthAndTLSTests {
    @Test("a wrong token gets 401")
    func wrongToken() async throws {
        let server = TestAPIServer()
        let url = try await server.start(token: "right")
        let client = try KubeAPIClient(config: KubeClientConfig(server: url, token: .value("wrong")))
        await #expect { _ = try await client.get("/api/v1/services") } throws: { error in
            guard case KubeClientError.status(let code, let reason, _) = error else { return false }
            return code == 401 && reason == "Unauthorized"
        }
        let good = try KubeAPIClient(config: KubeClientConfig(server: url, token: .value("right")))
        _ = try await good.get("/api/v1/services")
        try await client.shutdown(); try await good.shutdown(); await server.stop()
    }

    @Test("a rewritten token file is used by the next request")
    func tokenRotation() async throws {
        let dir = try TempDir()
        let tokenPath = try dir.write("token", "first\n")
        let server = TestAPIServer()
        let url = try await server.start(token: "first")
        let client = try KubeAPIClient(config: KubeClientConfig(server: url, token: .file(tokenPath)))
        _ = try await client.get("/api/v1/nodes")
        server.setTokens(["second"])
        _ = try dir.write("token", "second") // atomic rename: new inode, as kubelet's projected volume does
        _ = try await client.get("/api/v1/nodes")
        let auth = server.requests.map(\.authorization)
        #expect(auth == ["Bearer first", "Bearer second"])
        // In-place rewrite (same inode, new size/mtime) is picked up too.
        server.setTokens(["third-token"])
        let handle = try #require(FileHandle(forWritingAtPath: tokenPath))
        try handle.truncate(atOffset: 0); try handle.write(contentsOf: Data("third-token".utf8)); try handle.close()
        _ = try await client.get("/api/v1/nodes")
        #expect(server.requests.last?.authorization == "Bearer third-token")
        try await client.shutdown(); await server.stop()
    }

    @Test("TLS: the server's CA is trusted; an unknown CA is an error")
    func tlsVerification() async throws {
        let material = try TestCertificates.generate()
        let stranger = try TestCertificates.generate(commonName: "someone-else")
        let server = TestAPIServer()
        let url = try await server.start(tls: material, token: "t")
        #expect(url.scheme == "https")
        let trusted = try KubeAPIClient(config: KubeClientConfig(server: url, token: .value("t"),
                                                                 certificateAuthorityPEM: Array(material.caCertificatePEM.utf8)))
        try server.create(node("n1"))
        let body = try await trusted.get("/api/v1/nodes/n1")
        #expect(String(decoding: body, as: UTF8.self).contains("\"n1\""))

        let untrusted = try KubeAPIClient(config: KubeClientConfig(server: url, token: .value("t"),
                                                                   certificateAuthorityPEM: Array(stranger.caCertificatePEM.utf8)),
                                          connectTimeout: .seconds(1))
        await #expect(throws: (any Error).self) { _ = try await untrusted.get("/api/v1/nodes") }
        #expect(!server.requests.contains { $0.uri == "/api/v1/nodes" }, "no request got through the failed handshake")

        let insecure = try KubeAPIClient(config: KubeClientConfig(server: url, token: .value("t"), insecureSkipTLSVerify: true),
                                         logger: quietLogger)
        _ = try await insecure.get("/api/v1/nodes")
        try await trusted.shutdown(); try await untrusted.shutdown(); try await insecure.shutdown()
        await server.stop()
    }
}
