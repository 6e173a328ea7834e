import RenderIPVS
import SwitchyardCore

/// Configuration of the IPVS applier (everything not in `ProxyState`).
public struct IPVSApplierOptions: Sendable {
    /// Renderer options (masquerade mark, random-fully). `localAddresses` is filled by the applier
    /// from the namespace's interfaces on each full sync (every link but the dummy one).
    public var render: IPVSOptions
    /// The dummy interface holding service addresses. Linux names are at most 15 bytes.
    public var dummyInterface: String
    /// How long a real server removed from a TCP service may drain at weight 0 before it is deleted
    /// even with connections left.
    public var gracePeriod: Duration
    /// Also wait for the inactive connection count (FIN_WAIT/TIME_WAIT entries, kube-proxy's rule)
    /// before deleting a drained real server; by default only active connections hold it.
    public var waitForInactiveConnections: Bool
    /// The smallest interval between two checks of the drain list made by syncs themselves
    /// (`reapDrained()` always checks).
    public var drainCheckInterval: Duration
    /// Ports that count as NodePorts when deciding whether a kernel service on a node address that
    /// no plan or record names is ours (after a restart).
    public var nodePortRange: ClosedRange<UInt16>
    /// Sysctls written on every full sync (path under /proc/sys, value). See `IPVSApplier.sysctls`.
    public var sysctls: [(String, String)]
    /// How often a full sync whose iptables ruleset is unchanged since this applier restored it
    /// reads it back (`iptables-save`) to repair drift; in between such syncs run no iptables process.
    /// Zero reads it back on every full sync.
    public var iptablesVerifyInterval: Duration

    public init(render: IPVSOptions = IPVSOptions(), dummyInterface: String = IPVSPlan.dummyInterface,
                gracePeriod: Duration = .seconds(900), waitForInactiveConnections: Bool = false,
                drainCheckInterval: Duration = .seconds(1), nodePortRange: ClosedRange<UInt16> = 30000...32767,
                sysctls: [(String, String)]? = nil, iptablesVerifyInterval: Duration = .seconds(300)) {
        self.render = render; self.dummyInterface = dummyInterface; self.gracePeriod = gracePeriod
        self.waitForInactiveConnections = waitForInactiveConnections; self.drainCheckInterval = drainCheckInterval
        self.nodePortRange = nodePortRange; self.iptablesVerifyInterval = iptablesVerifyInterval
        self.sysctls = sysctls ?? IPVSApplierOptions.kubeProxySysctls(kernelRelease: IPVSApplierOptions.kernelRelease())
    }

    /// kube-proxy's IPVS-mode sysctls: `vs/conntrack=1` (netfilter sees IPVS connections, so our
    /// MASQUERADE rules apply), `vs/expire_nodest_conn=1` (connections to a deleted real server are
    /// dropped at their next packet instead of hanging), `vs/expire_quiescent_template=1`
    /// (persistence templates of weight-0 servers expire, so affinity does not pin clients to a
    /// draining pod), `ip_forward=1`; and `vs/conn_reuse_mode=0` only on kernels before 5.9, where
    /// mode 1 adds a one-second delay to reused ports (kube-proxy #81775; fixed in 5.9).
    public static func kubeProxySysctls(kernelRelease: String?) -> [(String, String)] {
        var out = [("net/ipv4/vs/conntrack", "1"), ("net/ipv4/vs/expire_nodest_conn", "1"),
                   ("net/ipv4/vs/expire_quiescent_template", "1"), ("net/ipv4/ip_forward", "1")]
        if let release = kernelRelease, let v = parseVersion(release), v < (5, 9) {
            out.append(("net/ipv4/vs/conn_reuse_mode", "0"))
        }
        return out
    }

    static func parseVersion(_ release: String) -> (Int, Int)? {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    static func kernelRelease() -> String? { IPVSUname.release() }
}
