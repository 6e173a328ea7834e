import Model
import SwitchyardCore

/// Names of every kernel object the iptables backend owns. All start with `SWITCHYARD-` and are
/// at most 28 characters (the iptables chain-name limit); per-port names carry 12 base-32
/// characters of `ServicePortKey.stableID`, like kube-proxy's `KUBE-SVC-XXXX`.
public enum IptablesNames {
    /// Prefix of every chain and ipset this backend creates.
    public static let prefix = "SWITCHYARD-"
    /// nat: entry chain jumped from PREROUTING and OUTPUT (dispatch, then node ports). Full syncs only.
    public static let natServices = "SWITCHYARD-SERVICES"
    /// nat: one rule per service IP (cluster, external, load-balancer); edited with `-D`/`-A` deltas.
    public static let natDispatch = "SWITCHYARD-DISPATCH"
    /// nat: one rule per NodePort; edited with `-D`/`-A` deltas.
    public static let natNodePorts = "SWITCHYARD-NODEPORTS"
    /// nat: jumped from POSTROUTING: hairpin and mark-based masquerade.
    public static let natPostrouting = "SWITCHYARD-POSTROUTING"
    /// nat: marks sources outside every pod CIDR (only with more than one cluster CIDR).
    public static let natMasqNonPod = "SWITCHYARD-MASQ-NONPOD"
    /// filter: jumped from INPUT, FORWARD and OUTPUT for new connections: REJECT/DROP rules.
    public static let filterServices = "SWITCHYARD-SERVICES"
    /// filter: jumped from FORWARD and OUTPUT for new connections after `filterServices`: rejects
    /// traffic to a ClusterIP that no DNAT rule took (a port the service does not define).
    public static let filterClusterIPs = "SWITCHYARD-CLUSTER-IPS"
    /// filter: jumped from FORWARD: accepts masquerade-marked and established traffic.
    public static let filterForward = "SWITCHYARD-FORWARD"

    /// The hashed part of a port's chain names (12 base-32 characters).
    public static func portID(_ key: ServicePortKey) -> String { StableHash.base32(key.stableID, count: 12) }
    /// Internal (ClusterIP) path chain: load-balances over the internal endpoint set.
    public static func serviceChain(_ key: ServicePortKey) -> String { "SWITCHYARD-SVC-" + portID(key) }
    /// External path chain (NodePort, external IPs, load-balancer IPs).
    public static func externalChain(_ key: ServicePortKey) -> String { "SWITCHYARD-EXT-" + portID(key) }
    /// `serviceChain(_:)` … `clusterChain(_:)` from an already computed `portID`.
    static func serviceChain(id: String) -> String { "SWITCHYARD-SVC-" + id }
    static func externalChain(id: String) -> String { "SWITCHYARD-EXT-" + id }
    static func firewallChain(id: String) -> String { "SWITCHYARD-FW-" + id }
    static func clusterChain(id: String) -> String { "SWITCHYARD-CLU-" + id }

    /// Load-balancer source-range firewall chain.
    public static func firewallChain(_ key: ServicePortKey) -> String { "SWITCHYARD-FW-" + portID(key) }
    /// Cluster endpoints for the eTP=Local short-circuit when the internal path does not use them.
    public static func clusterChain(_ key: ServicePortKey) -> String { "SWITCHYARD-CLU-" + portID(key) }

    /// `recent` list name for session affinity to one endpoint of one port.
    public static func affinityList(_ key: ServicePortKey, _ ep: Endpoint) -> String {
        var h = StableHash()
        h.combine(String(key.stableID))
        h.combine(ep.description)
        return "SWITCHYARD-" + StableHash.base32(h.value, count: 12)
    }

    /// The hairpin ipset of a family (`hash:ip,port,ip`, members `EP,proto:port,EP`).
    public static func hairpinSet(_ family: IPFamily) -> String {
        family == .ipv4 ? "SWITCHYARD-HAIRPIN-V4" : "SWITCHYARD-HAIRPIN-V6"
    }
}
