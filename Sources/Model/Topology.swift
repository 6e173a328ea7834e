/// The topology filter kube-proxy applies to Cluster-policy endpoints (pkg/proxy/topology.go).
public enum TopologyFilter: Hashable, Sendable {
    /// Every usable endpoint.
    case all
    /// Endpoints hinted for this zone.
    case zone(String)
    /// Endpoints hinted for this node.
    case node(String)

    /// Whether `endpoint` passes the filter.
    public func admits(_ endpoint: SliceEndpoint) -> Bool {
        switch self {
        case .all: return true
        case .zone(let z): return endpoint.zoneHints.contains(z)
        case .node(let n): return endpoint.nodeHints.contains(n)
        }
    }

    /// Chooses the filter: hints are honoured only if the service asks for them, **every** ready
    /// endpoint carries the relevant hints and at least one matches this node's name / zone.
    /// `PreferSameNode` falls back to zone hints when node hints do not apply.
    public static func choose(preference: TopologyPreference, endpoints: [SliceEndpoint],
                              nodeName: String, zone: String?) -> TopologyFilter {
        guard preference != .none else { return .all }
        var anyReady = false
        var allNodeHints = true, nodeMatch = false
        var allZoneHints = true, zoneMatch = false
        for ep in endpoints where ep.ready {
            anyReady = true
            if ep.nodeHints.isEmpty { allNodeHints = false } else if ep.nodeHints.contains(nodeName) { nodeMatch = true }
            if ep.zoneHints.isEmpty { allZoneHints = false } else if let zone, ep.zoneHints.contains(zone) { zoneMatch = true }
        }
        guard anyReady else { return .all }
        if preference == .node, allNodeHints, nodeMatch { return .node(nodeName) }
        if allZoneHints, zoneMatch, let zone { return .zone(zone) }
        return .all
    }
}
