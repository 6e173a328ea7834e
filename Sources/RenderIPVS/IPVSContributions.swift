import Model
import SwitchyardCore

/// What a run of service ports contributes to an IPVS plan, as one list per kind of resource, in
/// port order; within one port each entry once (what a per-port `IPVSPlan` would hold, without
/// building its tables). `IPVSPlanIndex` collects runs of ports on every core, then counts each
/// list into its own table on its own core: a list is read by one thread only.
struct IPVSContributions: IPVSPlanSink, Sendable {
    /// A member of the set of `role` in `family` (the set's name is looked up when counted).
    struct Member: Sendable {
        var role: IPVSSetRole
        var family: IPFamily
        var member: IPSetMember
    }

    private(set) var services: [IPVSVirtualServer] = []
    private(set) var addresses: [IPAddress] = []
    private(set) var members: [Member] = []
    /// Where the current port's entries start in each list.
    private var firstService = 0, firstAddress = 0, firstMember = 0

    /// Room for about `ports` ports (a virtual server, an address and three members each).
    init(capacity ports: Int = 0) {
        services.reserveCapacity(ports + ports / 2)
        addresses.reserveCapacity(ports)
        members.reserveCapacity(3 * ports)
    }

    /// Adds `p`'s contribution after the ports collected so far.
    mutating func collect(_ p: ServicePort, with builder: IPVSPlanBuilder) {
        firstService = services.count; firstAddress = addresses.count; firstMember = members.count
        builder.add(p, to: &self)
    }

    mutating func add(_ vs: IPVSVirtualServer) {
        for i in firstService..<services.count where services[i].key == vs.key { return }
        services.append(vs)
    }

    mutating func addAddress(_ a: IPAddress) {
        for i in firstAddress..<addresses.count where addresses[i] == a { return }
        addresses.append(a)
    }

    mutating func add(_ member: IPSetMember, to role: IPVSSetRole, family: IPFamily) {
        for i in firstMember..<members.count
        where members[i].role == role && members[i].family == family && members[i].member == member { return }
        members.append(Member(role: role, family: family, member: member))
    }
}
