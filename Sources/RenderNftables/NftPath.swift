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
    var isNodePort: Bool { self == .npext || self == .nploc || self == .npscpod || self == .npscnode }

    /// The base name of the endpoint maps this path indexes (one map per path and endpoint count:
    /// `cip_eps_3`). Never shared between paths: nft 1.0.6 cannot add a rule that uses an endpoint map
    /// created in an earlier transaction (its `typeof … th dport` data), so a path's chain must always
    /// be created together with its own map — also when another path with the same count came first.
    var endpointMapBase: String { "\(rawValue)_eps" }

    /// The dispatch verdict map whose elements jump to this path's chains.
    var dispatchMap: String {
        switch self {
        case .cip, .ext, .loc: return NftNames.addrDispatch
        case .scpod: return NftNames.addrShortCircuitPod
        case .scnode: return NftNames.addrShortCircuitNode
        case .npext, .nploc: return NftNames.nodePortDispatch
        case .npscpod: return NftNames.nodePortShortCircuitPod
        case .npscnode: return NftNames.nodePortShortCircuitNode
        }
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

    /// The dispatch chains (their rules are the affinity verdict map and one rule per count set).
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
    static let addrDispatch = "addr_dispatch"
    static let addrShortCircuitPod = "addr_sc_pod"
    static let addrShortCircuitNode = "addr_sc_node"
    static let nodePortDispatch = "np_dispatch"
    static let nodePortShortCircuitPod = "np_sc_pod"
    static let nodePortShortCircuitNode = "np_sc_node"
    static let rejectAddr = "reject_addr"
    static let dropAddr = "drop_addr"
    static let rejectNodePort = "reject_np"
    static let dropNodePort = "drop_np"
    static let firewallFrontends = "lb_fw"
    static let firewallAllowed = "lb_allowed"

    /// Chain for a ClientIP-affinity port's path (rare; one chain per such port and path). The
    /// name ends in a hash of its rules: a chain of that name in the kernel has those rules, so a
    /// full sync keeps it and an endpoint change makes a new chain (the verdict element moves).
    static func affinityChain(_ key: ServicePortKey, _ path: NftPath, rules: [NftRule]) -> String {
        let content = StableHash.base32(StableHash.of(rules.map(\.text).joined(separator: "\n")), count: 8)
        return "\(affinityChainPrefix)\(portID(key))-\(path.rawValue)-\(content)"
    }

    /// Prefix of affinity chain (and set) names.
    public static let affinityChainPrefix = "aff-"

    /// Per-endpoint dynamic set of recent clients for an affinity port (kube-proxy's shape).
    static func affinitySet(_ key: ServicePortKey, _ ep: Endpoint) -> String {
        "aff-\(portID(key))-\(StableHash.base32(StableHash.of(ep.description), count: 8))"
    }

    /// Prefix of the shared affinity slot sets (`aff_addr_5`, `aff_np_5`).
    public static let affinitySlotPrefix = "aff_"

    /// A shared recent-client slot set (`NftAffinitySlots`): keyed `client . address . protocol .
    /// port`, or `client . protocol . port` for NodePort paths.
    static func affinitySlotSet(_ slot: Int, nodePort: Bool) -> String {
        "\(affinitySlotPrefix)\(nodePort ? "np" : "addr")_\(slot)"
    }

    /// Capacity of a shared slot set. Several ports' endpoints share a slot, so it is 16 times
    /// nft's default of 65,535 (kube-proxy's per-endpoint sets): an `update` into a full set
    /// fails and the new client would fall through the chain without DNAT.
    static let affinitySlotSize: UInt32 = 1_048_576

    /// The declaration of a shared slot set: dynamic, every element with its port's timeout.
    static func affinitySlotDeclaration(_ name: String, family: NftFamily) -> NftSet {
        let a = family.addrType
        let spec = name.hasPrefix(affinitySlotPrefix + "np_") ? "type \(a) . inet_proto . inet_service"
                                                               : "type \(a) . \(a) . inet_proto . inet_service"
        return NftSet(name, spec: spec, flags: ["dynamic", "timeout"], size: affinitySlotSize)
    }

    /// The declaration of a per-endpoint affinity set (`affinitySet`), keyed by client.
    static func affinityEndpointDeclaration(_ name: String, family: NftFamily, timeout: UInt32) -> NftSet {
        NftSet(name, spec: "type \(family.addrType)", flags: ["dynamic", "timeout"], timeoutSeconds: timeout)
    }

    /// 12 base-32 characters of the port's stable hash: names never contain Kubernetes text.
    static func portID(_ key: ServicePortKey) -> String { StableHash.base32(key.stableID, count: 12) }

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
