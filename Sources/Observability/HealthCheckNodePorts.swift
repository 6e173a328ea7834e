import Model
import SwitchyardCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// One health-check node port's subject: the service and its local endpoint count.
public struct HealthCheckTarget: Hashable, Sendable {
    public var service: ServiceName
    /// Distinct local endpoint addresses over the service's ports (both families).
    public var localEndpoints: Int
}

/// Listeners on the `healthCheckNodePort`s of eTP=Local services (what cloud load balancers probe):
/// 200 with the local endpoint count when the node has local endpoints and the proxy is healthy,
/// 503 otherwise. Listeners open and close as services come and go (`update(from:)`).
public actor HealthCheckNodePorts {
    public let host: String
    private let group: any EventLoopGroup
    private let proxyHealthy: @Sendable () -> Bool
    private let targets = NIOLockedValueBox([UInt16: HealthCheckTarget]())
    private var servers: [UInt16: HTTPServer] = [:]
    /// Ports whose listener could not be opened at the last update (retried on the next).
    public private(set) var failedPorts: [UInt16: String] = [:]

    public init(host: String = "0.0.0.0", group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                proxyHealthy: @escaping @Sendable () -> Bool) {
        self.host = host; self.group = group; self.proxyHealthy = proxyHealthy
    }

    /// The health-check ports a state asks for. A port claimed by two services goes to the first by name.
    public static func targets(in state: ProxyState) -> [UInt16: HealthCheckTarget] {
        var out: [UInt16: HealthCheckTarget] = [:]
        // Few services have a health-check port: pick them first, sort only those.
        let candidates = state.services.filter { $0.value.ports.contains { $0.externalPolicyLocal && ($0.healthCheckNodePort ?? 0) != 0 } }
        for (name, svc) in candidates.sorted(by: { $0.key < $1.key }) {
            var ports = Set<UInt16>()
            var locals = Set<IPAddress>()
            for p in svc.ports where p.externalPolicyLocal {
                guard let hc = p.healthCheckNodePort, hc != 0 else { continue }
                ports.insert(hc)
                for e in p.localEndpoints { locals.insert(e.ip) }
            }
            for port in ports where out[port] == nil {
                out[port] = HealthCheckTarget(service: name, localEndpoints: locals.count)
            }
        }
        return out
    }

    /// Opens and closes listeners so they match `state`, and updates the counts they report.
    public func update(from state: ProxyState) async {
        let wanted = Self.targets(in: state)
        targets.withLockedValue { $0 = wanted }
        for (port, server) in servers where wanted[port] == nil {
            servers[port] = nil
            await server.close()
        }
        failedPorts = [:]
        for port in wanted.keys.sorted() where servers[port] == nil {
            do {
                servers[port] = try await HTTPServer.start(host: host, port: Int(port), group: group, respond: responder(port))
            } catch {
                failedPorts[port] = String(describing: error)
            }
        }
    }

    /// Ports with an open listener.
    public var openPorts: [UInt16] { servers.keys.sorted() }

    /// Closes every listener.
    public func shutdown() async {
        for (_, s) in servers { await s.close() }
        servers = [:]
    }

    private func responder(_ port: UInt16) -> @Sendable (HTTPRequestHead) -> HTTPReply {
        let targets = self.targets, healthy = proxyHealthy
        return { _ in
            guard let t = targets.withLockedValue({ $0[port] }) else { return .notFound() }
            return Self.reply(for: t, proxyHealthy: healthy())
        }
    }

    /// kube-proxy's answer for one target.
    public static func reply(for t: HealthCheckTarget, proxyHealthy: Bool) -> HTTPReply {
        let body = """
            {
            \t"service": {
            \t\t"namespace": "\(t.service.namespace)",
            \t\t"name": "\(t.service.name)"
            \t},
            \t"localEndpoints": \(t.localEndpoints),
            \t"serviceProxyHealthy": \(proxyHealthy)
            }
            """
        return HTTPReply(status: t.localEndpoints > 0 && proxyHealthy ? .ok : .serviceUnavailable,
                         contentType: "application/json", body: body,
                         extraHeaders: [("X-Load-Balancing-Endpoint-Weight", String(t.localEndpoints))])
    }
}
