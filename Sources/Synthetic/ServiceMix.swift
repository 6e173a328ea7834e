/// What kinds of services a synthetic cluster holds, as fractions in 0...1.
///
/// In a `SyntheticCluster` each fraction is applied exactly (the count is the fraction of the
/// services, rounded, spread over random services); services added by `ChurnGenerator` draw
/// each feature independently with the same probabilities.
public struct ServiceMix: Hashable, Sendable {
    /// Services of type NodePort.
    public var nodePort: Double
    /// Services of type LoadBalancer (exclusive with `nodePort`; the two together are capped at 1).
    public var loadBalancer: Double
    /// Of the NodePort and LoadBalancer services: `externalTrafficPolicy: Local`.
    public var externalTrafficLocal: Double
    /// Of all services: `internalTrafficPolicy: Local`.
    public var internalTrafficLocal: Double
    /// Of all services: `sessionAffinity: ClientIP` (timeout 10800 s).
    public var clientIPAffinity: Double
    /// Of all services: two or three ports instead of one.
    public var multiPort: Double
    /// Of all services: the first port is UDP (`dns`, 53 → 5353).
    public var udp: Double
    /// Of all services: dual-stack (IPv4 + IPv6 ClusterIPs, one slice per family).
    public var dualStack: Double
    /// Of all services: IPv6 only (exclusive with `dualStack`; the two together are capped at 1).
    public var ipv6Only: Double
    /// Of all services: `trafficDistribution: PreferClose` with zone hints on every endpoint.
    public var topologyHints: Double
    /// Of all endpoints: terminating (`ready: false, serving: true, terminating: true`).
    public var terminatingEndpoints: Double

    public init(nodePort: Double = 0, loadBalancer: Double = 0, externalTrafficLocal: Double = 0,
                internalTrafficLocal: Double = 0, clientIPAffinity: Double = 0, multiPort: Double = 0,
                udp: Double = 0, dualStack: Double = 0, ipv6Only: Double = 0, topologyHints: Double = 0,
                terminatingEndpoints: Double = 0) {
        func unit(_ x: Double) -> Double { x.isNaN ? 0 : min(max(x, 0), 1) }
        self.nodePort = unit(nodePort); self.loadBalancer = unit(loadBalancer)
        self.externalTrafficLocal = unit(externalTrafficLocal); self.internalTrafficLocal = unit(internalTrafficLocal)
        self.clientIPAffinity = unit(clientIPAffinity); self.multiPort = unit(multiPort); self.udp = unit(udp)
        self.dualStack = unit(dualStack); self.ipv6Only = unit(ipv6Only); self.topologyHints = unit(topologyHints)
        self.terminatingEndpoints = unit(terminatingEndpoints)
    }

    /// A plausible production mix, IPv4 only: 10 % NodePort, 5 % LoadBalancer (30 % of those
    /// eTP=Local), 5 % iTP=Local, 5 % ClientIP affinity, 20 % multi-port, 5 % UDP, 2 % of
    /// endpoints terminating.
    public static let `default` = ServiceMix(nodePort: 0.10, loadBalancer: 0.05, externalTrafficLocal: 0.30,
                                             internalTrafficLocal: 0.05, clientIPAffinity: 0.05, multiPort: 0.20,
                                             udp: 0.05, terminatingEndpoints: 0.02)

    /// Only single-port TCP ClusterIP services with ready endpoints.
    public static let clusterIPOnly = ServiceMix()

    /// Every feature in a sizeable share, dual-stack and IPv6 included (for property tests).
    public static let everything = ServiceMix(nodePort: 0.25, loadBalancer: 0.25, externalTrafficLocal: 0.5,
                                              internalTrafficLocal: 0.2, clientIPAffinity: 0.2, multiPort: 0.3,
                                              udp: 0.2, dualStack: 0.2, ipv6Only: 0.1, topologyHints: 0.2,
                                              terminatingEndpoints: 0.1)
}
