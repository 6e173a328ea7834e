import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SwitchyardCore

/// A failed API request or an unusable response.
public enum KubeClientError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The bearer token could not be read.
    case token(String)
    /// The TLS material in the configuration is invalid.
    case tls(String)
    /// The server answered with a non-2xx status (410 has its own case).
    case status(code: Int, reason: String, message: String)
    /// 410 Gone: the resource version is too old (compacted); relist.
    case gone(String)
    /// The response body could not be decoded.
    case decoding(String)
    /// A response or watch line was larger than the client accepts.
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .token(let m): return "token: \(m)"
        case .tls(let m): return "TLS: \(m)"
        case .status(let code, let reason, let message): return "API server answered \(code) \(reason): \(message)"
        case .gone(let m): return "410 Gone: \(m)"
        case .decoding(let m): return "decoding: \(m)"
        case .tooLarge(let n): return "response larger than \(n) bytes"
        }
    }
}

/// A thin Kubernetes API client over AsyncHTTPClient: authentication, TLS, GET and streaming GET.
/// Call `shutdown()` when done.
public final class KubeAPIClient: Sendable {
    public let config: KubeClientConfig
    let http: HTTPClient
    let tokens: TokenSource
    let logger: Logger
    /// Largest LIST body accepted.
    public static let maxBodyBytes = 512 * 1024 * 1024

    /// Builds the client; logs every configuration warning (insecure TLS, plain HTTP) at `critical`.
    /// `connectTimeout` bounds connection setup including the TLS handshake (a failing handshake is
    /// retried until then).
    public init(config: KubeClientConfig, connectTimeout: Duration = .seconds(10),
                logger: Logger = Logger(label: "switchyard.kubeclient")) throws {
        self.config = config
        self.logger = logger
        self.tokens = TokenSource(config.token)
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = config.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if let cert = config.clientCertificatePEM, let key = config.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw KubeClientError.tls("invalid certificate or key: \(error)")
        }
        if config.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var http = HTTPClient.Configuration()
        http.tlsConfiguration = tls
        http.redirectConfiguration = .disallow
        http.timeout = .init(connect: Self.amount(connectTimeout), read: nil)
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
        for warning in config.warnings {
            logger.critical("INSECURE KUBERNETES API CONFIGURATION: \(warning)")
        }
        if config.tlsServerName != nil {
            logger.warning("tls-server-name is not supported; the server certificate is checked against the server URL's host")
        }
    }

    /// Closes connections. Required before the client is released.
    public func shutdown() async throws { try await http.shutdown() }

    /// The full URL for an API path and query (values percent-encoded).
    func url(_ path: String, _ query: [(String, String)]) -> String {
        var base = config.server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard !query.isEmpty else { return base + path }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let q = query.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)"
        }.joined(separator: "&")
        return base + path + "?" + q
    }

    private func request(_ path: String, _ query: [(String, String)]) throws -> HTTPClientRequest {
        var r = HTTPClientRequest(url: url(path, query))
        r.method = .GET
        r.headers.add(name: "Accept", value: "application/json")
        r.headers.add(name: "User-Agent", value: "switchyard/kubeclient")
        if let token = try tokens.current() {
            r.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        return r
    }

    /// GETs `path` and returns the body; non-2xx answers throw `KubeClientError.status` or `.gone`.
    public func get(_ path: String, query: [(String, String)] = [], timeout: Duration = .seconds(60)) async throws -> Data {
        let response = try await http.execute(request(path, query), timeout: Self.amount(timeout), logger: logger)
        let body = try await response.body.collect(upTo: Self.maxBodyBytes)
        let data = Data(body.readableBytesView)
        try Self.check(response.status.code, data)
        return data
    }

    /// Starts a streaming GET (a WATCH); returns the body as it arrives. Non-2xx answers throw.
    /// `timeout` bounds the whole stream, so it must exceed the server-side `timeoutSeconds`.
    public func stream(_ path: String, query: [(String, String)] = [], timeout: Duration) async throws -> HTTPClientResponse.Body {
        let response = try await http.execute(request(path, query), timeout: Self.amount(timeout), logger: logger)
        guard (200..<300).contains(Int(response.status.code)) else {
            let body = try await response.body.collect(upTo: 1024 * 1024)
            try Self.check(response.status.code, Data(body.readableBytesView))
            throw KubeClientError.status(code: Int(response.status.code), reason: "", message: "")
        }
        return response.body
    }

    static func amount(_ d: Duration) -> TimeAmount {
        let (s, atto) = d.components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }

    /// Throws for non-2xx statuses, with the API `Status` message when the body carries one.
    static func check(_ code: UInt, _ body: Data) throws {
        guard !(200..<300).contains(Int(code)) else { return }
        let status = try? JSONDecoder().decode(APIStatus.self, from: body)
        let message = status?.message ?? String(decoding: body.prefix(200), as: UTF8.self)
        if code == 410 { throw KubeClientError.gone(message) }
        throw KubeClientError.status(code: Int(code), reason: status?.reason ?? "", message: Diagnostic.printable(message, limit: 300))
    }
}

/// `meta/v1.Status`, as sent for errors and in watch ERROR events.
struct APIStatus: Decodable {
    var code: Int?
    var reason: String?
    var message: String?
}

