import KubeObjects

/// One resource to list and watch: its collection path and selectors.
public struct WatchResource: Sendable, Equatable {
    public var kind: ObjectKind
    /// Collection path, e.g. `/api/v1/services`.
    public var path: String
    public var labelSelector: String?
    public var fieldSelector: String?

    public init(kind: ObjectKind, path: String, labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.kind = kind; self.path = path; self.labelSelector = labelSelector; self.fieldSelector = fieldSelector
    }

    /// The label on services that asks for a specific (non-default) proxy.
    public static let serviceProxyNameLabel = "service.kubernetes.io/service-proxy-name"
    /// The label the control plane puts on headless services.
    public static let headlessLabel = "service.kubernetes.io/headless"

    /// All services except headless ones and those claimed by another proxy: with no `proxyName`,
    /// `!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless`; with one,
    /// `service.kubernetes.io/service-proxy-name=<proxyName>,!service.kubernetes.io/headless`.
    public static func services(proxyName: String? = nil) -> WatchResource {
        let proxy = proxyName.map { "\(serviceProxyNameLabel)=\($0)" } ?? "!\(serviceProxyNameLabel)"
        return WatchResource(kind: .service, path: "/api/v1/services", labelSelector: "\(proxy),!\(headlessLabel)")
    }

    /// Every EndpointSlice that belongs to a service (`kubernetes.io/service-name` exists).
    public static let endpointSlices = WatchResource(kind: .endpointSlice, path: "/apis/discovery.k8s.io/v1/endpointslices",
                                                     labelSelector: EndpointSlice.serviceNameLabel)

    /// This node only (`metadata.name=<name>`).
    public static func node(_ name: String) -> WatchResource {
        WatchResource(kind: .node, path: "/api/v1/nodes", fieldSelector: "metadata.name=\(name)")
    }

    /// Query items shared by LIST and WATCH.
    var selectorQuery: [(String, String)] {
        var q: [(String, String)] = []
        if let labelSelector { q.append(("labelSelector", labelSelector)) }
        if let fieldSelector { q.append(("fieldSelector", fieldSelector)) }
        return q
    }
}

/// Retry timing after a failed LIST or a dropped WATCH: `initial · multiplier^(attempt-1)`, capped at
/// `maximum`, then stretched by a random factor in `[1, 1 + jitter]`.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    public var jitter: Double

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), multiplier: Double = 2, jitter: Double = 0.5) {
        self.initial = initial; self.maximum = maximum; self.multiplier = multiplier; self.jitter = jitter
    }

    /// The delay before retry number `attempt` (1-based).
    public func delay<R: RandomNumberGenerator>(attempt: Int, using random: inout R) -> Duration {
        let base = initial * pow(multiplier, Double(max(0, attempt - 1)))
        let capped = min(base, maximum)
        return capped * (1 + jitter * Double.random(in: 0...1, using: &random))
    }

    private func pow(_ x: Double, _ n: Double) -> Double {
        var r = 1.0
        for _ in 0..<Int(min(n, 64)) { r *= x }
        return r
    }
}

/// Watch tuning. Defaults suit a real cluster; tests shrink them.
public struct WatchOptions: Sendable, Equatable {
    /// LIST page size (`limit`).
    public var pageSize: Int
    /// Server-side WATCH duration (`timeoutSeconds`); the watch is then reopened from the last version.
    public var timeoutSeconds: Int
    public var backoff: Backoff
    /// Largest single watch event accepted.
    public var maxEventBytes: Int

    public init(pageSize: Int = 500, timeoutSeconds: Int = 300, backoff: Backoff = Backoff(), maxEventBytes: Int = 16 * 1024 * 1024) {
        self.pageSize = pageSize; self.timeoutSeconds = timeoutSeconds; self.backoff = backoff; self.maxEventBytes = maxEventBytes
    }
}
