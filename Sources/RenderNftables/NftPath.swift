import Model
import SwitchyardCore

/// The traffic paths a frontend dispatches to. Every path with N endpoints shares ONE small chain
/// per (path, N) whose single DNAT rule indexes a global endpoint map with `numgen random mod N`,
/// so the table holds a handful of chains no matter how many services exist.
public enum NftPath: String, Hashable, Sendable, CaseIterable, Comparable {
    /// ClusterIP (any internal policy); masquerade per `clusterMasquerade`.
    case cip
    /// externalIP / LoadBalancer IP, eTP=Cluster: always masqueraded.
    case ext
    /// externalIP / LoadBalancer IP, eTP=Local: source kept.
    case loc
    /// eTP=Local short-circuit from pod sources: cluster endpoints, no masquerade.
    case scpod
    /// eTP=Local short-circuit from node-local sources: cluster endpoints, masqueraded.
    case scnode
    /// NodePort, eTP=Cluster.
    case npext
    /// NodePort, eTP=Local.
    case nploc
    /// NodePort short-circuit from pods.
    case npscpod
    /// NodePort short-circuit from the node.
    case npscnode

    /// How a path marks packets for masquerade.
    enum Mark { case clusterPolicy, always, never }

    var mark: Mark {
        switch self {
        case .cip: return .clusterPolicy
        case .ext, .scnode, .npext, .npscnode: return .always
        case .loc, .scpod, .nploc, .npscpod: return .never
        }
    }

    /// True for NodePort paths (keyed by protocol and port only).
    public var isNodePort: Bool { self == .npext || self == .nploc || self == .npscpod || self == .npscnode }

    /// The base name of the endpoint maps this path indexes (one map per path and endpoint count:
    /// `cip_eps_3`). Never shared between paths: nft 1.0.6 cannot add a rule that uses an endpoint map
    /// created in an earlier transaction (its `typeof … th dport` data), so a path's chain must always
    /// be created together with its own map — also when another path with the same count came first.
    var endpointMapBase: String { "\(rawValue)_eps" }

    /// The dispatch group of a frontend set (a per-count set `cip_3` or an affinity set
    /// `cipaff_3_10800`): its dispatch chain. A frontend lives in one set of its group.
    static func dispatchGroup(frontendSet name: String) -> String? {
        NftSharedChain(frontendSet: name)?.dispatchChain ?? NftAffinityChain(frontendSet: name)?.dispatchChain
    }

    /// The endpoint map of this path's frontends with `count` endpoints.
    func endpointMap(endpoints count: Int) -> String { "\(endpointMapBase)_\(count)" }

    /// The shared chain for this path with `count` endpoints.
    func chain(endpoints count: Int) -> String { "\(rawValue)-\(count)" }

    /// The plain set of this path's frontends that have `count` endpoints (no verdicts: adding a
    /// service adds an element here, which never makes the kernel revalidate the table).
    func frontendSet(endpoints count: Int) -> String { "\(rawValue)_\(count)" }

    /// The chain that matches a frontend of this path's dispatch group against its count sets.
    public var dispatchChain: String {
        switch self {
        case .cip, .ext, .loc: return NftNames.addrDispatchChain
        case .scpod: return NftNames.addrShortCircuitPodChain
        case .scnode: return NftNames.addrShortCircuitNodeChain
        case .npext, .nploc: return NftNames.nodePortDispatchChain
        case .npscpod: return NftNames.nodePortShortCircuitPodChain
        case .npscnode: return NftNames.nodePortShortCircuitNodeChain
        }
    }

    public static func < (a: NftPath, b: NftPath) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Names of the fixed objects in our table.
public enum NftNames {
    /// Prefix of the empty chain that names the shared chains' shape (`NftLayout.shapeMarker`).
    public static let shapeMarkerPrefix = "shape-"

    /// The dispatch chains (one rule per count set and per affinity set in use).
    public static var dispatchChains: Set<String> { Set(NftPath.allCases.map(\.dispatchChain)) }

    public static let markBit = "0x00004000"
    static let services = "services"
    static let nodePorts = "nodeports"
    static let checks = "service-checks"
    static let firewall = "firewall"
    static let addrDispatchChain = "dispatch-addr"
    static let addrShortCircuitPodChain = "dispatch-addr-sc-pod"
    static let addrShortCircuitNodeChain = "dispatch-addr-sc-node"
    static let nodePortDispatchChain = "dispatch-np"
    static let nodePortShortCircuitPodChain = "dispatch-np-sc-pod"
    static let nodePortShortCircuitNodeChain = "dispatch-np-sc-node"

    static let podCIDRs = "pod_cidrs"
    static let nodePortIPs = "nodeport_ips"
    static let clusterIPs = "cluster_ips"
    static let hairpin = "hairpin"
    static let rejectAddr = "reject_addr"
    static let dropAddr = "drop_addr"
    static let rejectNodePort = "reject_np"
    static let dropNodePort = "drop_np"
    static let firewallFrontends = "lb_fw"
    static let firewallAllowed = "lb_allowed"

    /// Prefix of the shared recent-client sets of ClientIP affinity (`aff_addr_0`, `aff_np_0`).
    public static let affinityRecentPrefix = "aff_"

    /// A comment for `key`, or nil unless the printed name consists only of DNS-label
    /// characters and separators (so it can never close the quoted string or the line).
    static func comment(_ key: ServicePortKey) -> String? {
        let text = key.description
        guard !text.isEmpty, text.utf8.count <= 200,
              text.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-./:".unicodeScalars.contains($0) })
        else { return nil }
        return text
    }
}
