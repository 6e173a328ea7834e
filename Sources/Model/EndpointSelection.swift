import SwitchyardCore

/// kube-proxy's `CategorizeEndpoints`: which endpoints the Cluster and Local traffic paths use.
public struct EndpointSelection: Hashable, Sendable {
    /// Cluster-policy endpoints (empty when no path uses them), sorted.
    public var cluster: [Endpoint]
    /// Local-policy endpoints (empty when no path uses them), sorted.
    public var local: [Endpoint]
    /// Some usable endpoint exists anywhere in the cluster (decides drop vs reject).
    public var hasAnyEndpoints: Bool

    public init(cluster: [Endpoint] = [], local: [Endpoint] = [], hasAnyEndpoints: Bool = false) {
        self.cluster = cluster; self.local = local; self.hasAnyEndpoints = hasAnyEndpoints
    }

    /// A candidate endpoint: the slice endpoint and the port it serves this service port on.
    public struct Candidate: Hashable, Sendable {
        public var endpoint: SliceEndpoint
        public var port: UInt16
        public var isLocal: Bool
        public init(endpoint: SliceEndpoint, port: UInt16, isLocal: Bool) {
            self.endpoint = endpoint; self.port = port; self.isLocal = isLocal
        }
        var value: Endpoint { Endpoint(ip: endpoint.ip, port: port, isLocal: isLocal) }
        var isServingTerminating: Bool { endpoint.serving && endpoint.terminating }
    }

    /// Categorises `candidates` (sorted by address, as `ServicePortBuilder.joinEndpoints` returns them;
    /// the lists keep that order).
    /// - Parameters:
    ///   - usesCluster: some path uses Cluster endpoints (iTP=Cluster, or externally accessible —
    ///     eTP=Local needs them for the short-circuit).
    ///   - usesLocal: some path uses Local endpoints (iTP=Local, or eTP=Local on an external port).
    ///   - topology: the filter for Cluster endpoints (see `TopologyFilter.choose`).
    public static func categorize(_ candidates: [Candidate], usesCluster: Bool, usesLocal: Bool,
                                  topology: TopologyFilter) -> EndpointSelection {
        var out = EndpointSelection()
        // The lists are built straight from the candidates (no intermediate candidate arrays).
        if usesCluster {
            var cluster: [Endpoint] = []
            cluster.reserveCapacity(candidates.count)
            for c in candidates where c.endpoint.ready && topology.admits(c.endpoint) { cluster.append(c.value) }
            // Topology was already dropped when no ready endpoint matched, so an empty list means
            // nothing is ready anywhere: fall back to serving-terminating endpoints.
            if cluster.isEmpty { for c in candidates where c.isServingTerminating { cluster.append(c.value) } }
            out.cluster = cluster.isEmpty ? [] : cluster
            out.hasAnyEndpoints = !cluster.isEmpty
        }
        if usesLocal {
            if candidates.contains(where: { $0.endpoint.ready || $0.isServingTerminating }) { out.hasAnyEndpoints = true }
            var local: [Endpoint] = []
            for c in candidates where c.isLocal && c.endpoint.ready { local.append(c.value) }
            if local.isEmpty { for c in candidates where c.isLocal && c.isServingTerminating { local.append(c.value) } }
            out.local = local
        }
        return out
    }
}

/// The decisions for one traffic path, from its policy and the selection.
public enum TrafficPolicyDecision {
    /// What a path does: forward to local endpoints for a Local policy, else cluster endpoints;
    /// drop when a Local policy finds none on this node but some exist elsewhere; reject when the
    /// service has no usable endpoints at all.
    public static func decide(policyLocal: Bool, selection: EndpointSelection) -> TrafficDecision {
        if policyLocal {
            if !selection.local.isEmpty { return .forward(.local) }
            return selection.hasAnyEndpoints ? .drop : .reject
        }
        return selection.cluster.isEmpty ? .reject : .forward(.cluster)
    }
}
