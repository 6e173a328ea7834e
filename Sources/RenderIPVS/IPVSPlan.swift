import Model
import SwitchyardCore

/// Everything IPVS mode wants in the kernel for one node: virtual servers with their real
/// servers, the addresses held on the dummy interface, the ipsets with their members and the
/// iptables rules per family. A pure value; `operations(from:to:)` turns two of them into steps.
public struct IPVSPlan: Hashable, Sendable {
    /// The dummy interface that holds every service address, so IPVS sees the packets in LOCAL_IN.
    public static let dummyInterface = "switchyard-ipvs"
    /// `rtm_protocol` of the routes that hold IPv4 service addresses: each is a host route of type
    /// `local` in the `local` table through `dummyInterface` (`ip route add local 10.96.0.1/32 dev
    /// switchyard-ipvs table local proto 83`), not an address on the interface as in kube-proxy:
    /// the kernel walks an interface's whole IPv4 address list on every address add (10,000 adds
    /// are quadratic), a route insert is a trie insert, and packets for the address are delivered
    /// locally (to IPVS) the same way. IPv6 service addresses stay addresses on the interface
    /// (their insert is hashed, and the kernel refuses IPv6 routes through a link that is down).
    public static let routeProtocol: UInt8 = 83

    /// How a service address is held, as an `ip` command without `ip` (`ip -batch` syntax);
    /// `verb` is `add` or `del`.
    public static func holdCommand(_ verb: String, _ a: IPAddress) -> String {
        var w = ASCIIBuffer(capacity: 80)
        w.write(hold: verb, a)
        return w.string
    }

    /// Virtual servers by key.
    public var virtualServers: [IPVSServiceKey: IPVSVirtualServer]
    /// Service addresses held on `switchyard-ipvs` (IPv4 as local routes through it, IPv6 as
    /// addresses; see `routeProtocol`): ClusterIPs, externalIPs and LoadBalancer IPs (never node IPs).
    public var addresses: Set<IPAddress>
    /// ipsets by name (every role for every configured family exists, possibly empty).
    public var ipsets: [String: IPVSIPSet]
    /// iptables rules per configured family.
    public var iptables: [IPFamily: IPVSIptablesRuleset]

    public init(virtualServers: [IPVSServiceKey: IPVSVirtualServer] = [:], addresses: Set<IPAddress> = [],
                ipsets: [String: IPVSIPSet] = [:], iptables: [IPFamily: IPVSIptablesRuleset] = [:]) {
        self.virtualServers = virtualServers; self.addresses = addresses; self.ipsets = ipsets; self.iptables = iptables
    }

    /// Virtual servers sorted by key.
    public var sortedVirtualServers: [IPVSVirtualServer] {
        virtualServers.values.sorted { $0.key < $1.key }
    }

    /// ipsets sorted by family then role.
    public var sortedIPSets: [IPVSIPSet] {
        ipsets.values.sorted { ($0.family, $0.role) < ($1.family, $1.role) }
    }

    // MARK: building

    /// Adds a virtual server; when two service ports claim the same key the first one keeps it.
    mutating func add(_ vs: IPVSVirtualServer) {
        if virtualServers[vs.key] == nil { virtualServers[vs.key] = vs }
    }

    /// Adds a member to a set, creating the set's entry if needed.
    mutating func add(_ member: IPSetMember, to role: IPVSSetRole, family: IPFamily) {
        let name = role.name(family)
        if ipsets[name] == nil { ipsets[name] = IPVSIPSet(role: role, family: family) }
        ipsets[name]!.members.insert(member)
    }

    /// Every resource this plan holds except set specs and iptables rules.
    var resources: Set<IPVSResource> {
        var out = Set<IPVSResource>()
        for k in virtualServers.keys { out.insert(.service(k)) }
        for a in addresses { out.insert(.address(a)) }
        for (name, s) in ipsets { for m in s.members { out.insert(.member(name, m)) } }
        return out
    }

    /// Copies one resource from `other` into this plan (used to keep shared resources on both sides).
    mutating func copy(_ r: IPVSResource, from other: IPVSPlan) {
        switch r {
        case .service(let k): if let vs = other.virtualServers[k] { virtualServers[k] = vs }
        case .address(let a): addresses.insert(a)
        case .member(let name, let m):
            if let s = other.ipsets[name] { add(m, to: s.role, family: s.family) }
        }
    }
}

/// One kernel object a service port contributes, for sharing checks in incremental renders.
enum IPVSResource: Hashable, Sendable {
    case service(IPVSServiceKey)
    case address(IPAddress)
    case member(String, IPSetMember)
}
