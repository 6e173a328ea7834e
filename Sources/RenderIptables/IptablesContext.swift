import Model
import SwitchyardCore

/// Renderer settings that are not traffic policy.
public struct IptablesOptions: Hashable, Sendable {
    /// The packet-mark bit that asks POSTROUTING to masquerade. Default 0x8000 (kube-proxy uses
    /// 0x4000), so Switchyard can run beside kube-proxy during a migration without one proxy's
    /// mark triggering the other's MASQUERADE. (0x8000 was kube-proxy's long-removed
    /// KUBE-MARK-DROP bit; only packets about to be dropped ever carried it.)
    public var masqueradeMark: UInt32
    /// Above this many endpoints (both families) rule comments are dropped, as kube-proxy does.
    public var commentEndpointLimit: Int

    /// A full sync is split into transactions of about this many per-port rules (see
    /// `IptablesRenderer.renderFamilyFull`). Measured at 10k services × 10 endpoints with
    /// nf_tables: one transaction 63 s; 10,000-rule transactions ~5 s first sync (bare
    /// flush-mode restore 3.5 s), and fewer cache re-reads on resyncs than 2,500.
    public var fullSyncTransactionRules: Int

    public init(masqueradeMark: UInt32 = 0x8000, commentEndpointLimit: Int = 1000, fullSyncTransactionRules: Int = 10_000) {
        self.masqueradeMark = masqueradeMark; self.commentEndpointLimit = commentEndpointLimit
        self.fullSyncTransactionRules = fullSyncTransactionRules
    }
}

/// Everything about the node a port's rules depend on, for one family.
struct IptablesContext: Sendable {
    var family: IPFamily
    let mark: UInt32
    var comments: Bool
    var clusterMasquerade: ClusterMasquerade
    let podCIDRs: [CIDR]
    var nodePorts: NodePortAddresses
    var nodeAddresses: [IPAddress]
    /// `-j MARK --or-mark 0x8000`.
    let markMasq: String
    /// `podCIDRs` as text.
    let podCIDRTexts: [String]
    /// What follows `-d CLUSTER-IP/32 ` in the ClusterIP masquerade rule at the top of a service
    /// chain (`! -s POD-CIDR -j MARK …`), or nil for none.
    let clusterMasqTail: String?

    init(state: ProxyState, family: IPFamily, options: IptablesOptions, comments: Bool) {
        self.family = family
        self.mark = options.masqueradeMark
        self.comments = comments
        self.clusterMasquerade = state.clusterMasquerade(family: family)
        self.podCIDRs = state.podCIDRs(family: family)
        self.nodePorts = state.nodePortAddresses(family: family)
        self.nodeAddresses = state.node.addresses.filter { $0.family == family }
        self.markMasq = "-j MARK --or-mark \(IptablesFormat.hex(options.masqueradeMark))"
        self.podCIDRTexts = podCIDRs.map(\.description)
        switch clusterMasquerade {
        case .none: clusterMasqTail = nil
        case .all: clusterMasqTail = markMasq
        case .sourcesOutside(let cidrs) where cidrs.count == 1: clusterMasqTail = "! -s \(cidrs[0]) " + markMasq
        case .sourcesOutside: clusterMasqTail = "-j \(IptablesNames.natMasqNonPod)"
        }
    }
}
