import Foundation
import Yams

/// The parts of a kubeconfig file Switchyard reads (`clusters`, `users`, `contexts`, `current-context`).
struct KubeconfigFile: Decodable {
    struct NamedCluster: Decodable { var name: String?; var cluster: Cluster? }
    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }
    struct NamedUser: Decodable { var name: String?; var user: User? }
    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var exec: ExecStub?
        var authProvider: ExecStub?
        var username: String?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec, username
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }
    /// Present only to report that exec and auth-provider plugins are unsupported.
    struct ExecStub: Decodable {}
    struct NamedContext: Decodable { var name: String?; var context: Context? }
    struct Context: Decodable { var cluster: String?; var user: String?; var namespace: String? }

    var clusters: [NamedCluster]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?
    var currentContext: String?
    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }
}

extension KubeClientConfig {
    /// Loads the kubeconfig at `path`, using `context` or else its `current-context`. Relative file
    /// references resolve against the kubeconfig's directory.
    public static func kubeconfig(path: String, context: String? = nil) throws -> KubeClientConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeConfigError.kubeconfig("\(path) is missing or unreadable")
        }
        let base = (path as NSString).deletingLastPathComponent
        return try kubeconfig(yaml: String(decoding: data, as: UTF8.self), baseDirectory: base.isEmpty ? "." : base, context: context)
    }

    /// Parses kubeconfig text; `baseDirectory` resolves relative file references.
    public static func kubeconfig(yaml: String, baseDirectory: String, context: String? = nil) throws -> KubeClientConfig {
        func fail(_ m: String) -> KubeConfigError { .kubeconfig(m) }
        let file: KubeconfigFile
        do {
            file = try YAMLDecoder().decode(KubeconfigFile.self, from: yaml)
        } catch {
            throw fail("not a valid kubeconfig: \(error)")
        }
        guard let contextName = context ?? file.currentContext, !contextName.isEmpty else {
            throw fail("no current-context is set and no context was given")
        }
        guard let ctx = file.contexts?.first(where: { $0.name == contextName })?.context else {
            throw fail("context \"\(contextName)\" not found")
        }
        guard let clusterName = ctx.cluster, !clusterName.isEmpty else {
            throw fail("context \"\(contextName)\" names no cluster")
        }
        guard let cluster = file.clusters?.first(where: { $0.name == clusterName })?.cluster else {
            throw fail("cluster \"\(clusterName)\" (context \"\(contextName)\") not found")
        }
        guard let serverText = cluster.server, !serverText.isEmpty else {
            throw fail("cluster \"\(clusterName)\" has no server")
        }
        guard let server = URL(string: serverText), let scheme = server.scheme?.lowercased(),
              scheme == "https" || scheme == "http", server.host != nil else {
            throw fail("cluster \"\(clusterName)\" server \"\(serverText)\" is not an http(s) URL")
        }
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") ? p : (baseDirectory as NSString).appendingPathComponent(p)
        }
        func pem(data: String?, file: String?, field: String) throws -> [UInt8]? {
            if let data, !data.isEmpty {
                guard let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) else {
                    throw fail("\(field)-data is not valid base64")
                }
                guard String(decoding: decoded, as: UTF8.self).contains("-----BEGIN ") else {
                    throw fail("\(field)-data does not hold PEM")
                }
                return Array(decoded)
            }
            if let file, !file.isEmpty {
                return try readPEM(resolve(file), what: "\(field) file \(resolve(file))", error: fail)
            }
            return nil
        }
        var warnings: [String] = []
        let ca = try pem(data: cluster.certificateAuthorityData, file: cluster.certificateAuthority, field: "certificate-authority")
        let insecure = cluster.insecureSkipTLSVerify ?? false
        if insecure {
            if ca != nil { throw fail("cluster \"\(clusterName)\" sets both a certificate authority and insecure-skip-tls-verify") }
            warnings.append("cluster \"\(clusterName)\" sets insecure-skip-tls-verify: the API server's certificate is NOT verified; anyone on the path can impersonate it")
        }
        if scheme == "http" {
            warnings.append("cluster \"\(clusterName)\" server \(serverText) is plain HTTP: traffic and token are unencrypted")
        }

        var config = KubeClientConfig(server: server, certificateAuthorityPEM: ca, insecureSkipTLSVerify: insecure,
                                      tlsServerName: cluster.tlsServerName, warnings: warnings)
        guard let userName = ctx.user, !userName.isEmpty else { return config }
        guard let user = file.users?.first(where: { $0.name == userName })?.user else {
            throw fail("user \"\(userName)\" (context \"\(contextName)\") not found")
        }
        if user.exec != nil { throw fail("user \"\(userName)\": exec credential plugins are not supported") }
        if user.authProvider != nil { throw fail("user \"\(userName)\": auth-provider plugins are not supported") }
        if let token = user.token, !token.isEmpty {
            config.token = .value(token)
        } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
            let path = resolve(tokenFile)
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw fail("user \"\(userName)\" tokenFile \(path) is missing or unreadable")
            }
            config.token = .file(path)
        }
        config.clientCertificatePEM = try pem(data: user.clientCertificateData, file: user.clientCertificate, field: "client-certificate")
        config.clientKeyPEM = try pem(data: user.clientKeyData, file: user.clientKey, field: "client-key")
        if (config.clientCertificatePEM == nil) != (config.clientKeyPEM == nil) {
            throw fail("user \"\(userName)\" has a client certificate without a key or a key without a certificate")
        }
        return config
    }
}
