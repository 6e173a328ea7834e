import Foundation

/// How to reach and authenticate to the Kubernetes API server: from the in-cluster service account or
/// from a kubeconfig file. Certificates and keys are kept as PEM; the token may be a file that is
/// re-read when it changes (service-account token rotation).
public struct KubeClientConfig: Sendable, Equatable {
    /// Bearer-token source.
    public enum Token: Sendable, Equatable {
        case none
        case value(String)
        /// A file re-read whenever it changes.
        case file(String)
    }

    /// `https://host:port` (or `http://` if a kubeconfig says so).
    public var server: URL
    public var token: Token
    /// PEM of the CA bundle that signs the server certificate; nil trusts the system roots.
    public var certificateAuthorityPEM: [UInt8]?
    /// PEM client certificate chain and key (mutual TLS), both or neither.
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// Skips verification of the server certificate. Only set when a kubeconfig asks for it.
    public var insecureSkipTLSVerify: Bool
    /// Overrides the name checked against the server certificate.
    public var tlsServerName: String?
    /// Things the operator should know (insecure TLS, plain HTTP); logged loudly by `KubeAPIClient`.
    public var warnings: [String]

    public init(server: URL, token: Token = .none, certificateAuthorityPEM: [UInt8]? = nil,
                clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
                insecureSkipTLSVerify: Bool = false, tlsServerName: String? = nil, warnings: [String] = []) {
        self.server = server; self.token = token; self.certificateAuthorityPEM = certificateAuthorityPEM
        self.clientCertificatePEM = clientCertificatePEM; self.clientKeyPEM = clientKeyPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify; self.tlsServerName = tlsServerName; self.warnings = warnings
    }

    /// The standard service-account directory mounted into pods.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// In-cluster configuration: `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` from `environment`,
    /// the CA from `<directory>/ca.crt` and the token from `<directory>/token` (re-read when rotated).
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 serviceAccountDirectory directory: String = serviceAccountDirectory) throws -> KubeClientConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubeConfigError.inCluster("KUBERNETES_SERVICE_HOST is not set: not running in a pod (use --kubeconfig)")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeConfigError.inCluster("KUBERNETES_SERVICE_PORT is not set")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw KubeConfigError.inCluster("KUBERNETES_SERVICE_PORT \"\(port)\" is not a port number")
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        guard let url = URL(string: "https://\(hostPart):\(portNumber)") else {
            throw KubeConfigError.inCluster("KUBERNETES_SERVICE_HOST \"\(host)\" is not a host name or address")
        }
        let tokenPath = (directory as NSString).appendingPathComponent("token")
        let caPath = (directory as NSString).appendingPathComponent("ca.crt")
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError.inCluster("service-account token \(tokenPath) is missing or unreadable")
        }
        let ca = try readPEM(caPath, what: "service-account CA \(caPath)", error: KubeConfigError.inCluster)
        return KubeClientConfig(server: url, token: .file(tokenPath), certificateAuthorityPEM: ca)
    }

    /// Reads a file that must hold at least one PEM block.
    static func readPEM(_ path: String, what: String, error: (String) -> KubeConfigError) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw error("\(what) is missing or unreadable")
        }
        let bytes = Array(data)
        guard String(decoding: bytes, as: UTF8.self).contains("-----BEGIN ") else {
            throw error("\(what) is not PEM")
        }
        return bytes
    }
}

/// A configuration that cannot be used, with the piece that is missing or wrong.
public enum KubeConfigError: Error, Equatable, CustomStringConvertible {
    case inCluster(String)
    case kubeconfig(String)

    public var description: String {
        switch self {
        case .inCluster(let m): return "in-cluster config: \(m)"
        case .kubeconfig(let m): return "kubeconfig: \(m)"
        }
    }
}
