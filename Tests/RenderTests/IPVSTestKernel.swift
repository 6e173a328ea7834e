import RenderIPVS
import SwitchyardCore

/// A strict in-memory model of what the IPVS applier changes (IPVS table, dummy addresses,
/// ipsets, iptables). Every operation checks its preconditions, so a wrong order throws.
struct IPVSTestKernel {
    struct Failure: Error, CustomStringConvertible { var description: String }
    struct Dest: Hashable { var destination: IPVSDestination; var draining: Bool }

    var services: [IPVSServiceKey: IPVSService] = [:]
    var destinations: [IPVSServiceKey: [IPVSDestinationKey: Dest]] = [:]
    var addresses = Set<IPAddress>()
    var sets: [String: IPVSIPSet] = [:]
    var iptables: [IPFamily: IPVSIptablesRuleset] = [:]

    private func fail(_ s: String) -> Failure { Failure(description: s) }

    mutating func apply(_ ops: [IPVSOperation]) throws { for op in ops { try apply(op) } }

    mutating func apply(_ op: IPVSOperation) throws {
        switch op {
        case .createSet(let s):
            guard sets[s.name] == nil else { throw fail("set exists: \(op)") }
            sets[s.name] = s
        case .addSetMember(let n, let m):
            guard sets[n] != nil else { throw fail("no set: \(op)") }
            guard sets[n]!.members.insert(m).inserted else { throw fail("member exists: \(op)") }
        case .deleteSetMember(let n, let m):
            guard sets[n]?.members.remove(m) != nil else { throw fail("no member: \(op)") }
        case .destroySet(let n):
            guard sets[n] != nil else { throw fail("no set: \(op)") }
            for r in iptables.values where r.restoreText.contains("--match-set \(n) ") { throw fail("set in use: \(op)") }
            sets[n] = nil
        case .addAddress(let a):
            guard addresses.insert(a).inserted else { throw fail("address exists: \(op)") }
        case .deleteAddress(let a):
            guard addresses.remove(a) != nil else { throw fail("no address: \(op)") }
        case .addService(let s):
            guard services[s.key] == nil else { throw fail("service exists: \(op)") }
            services[s.key] = s
            destinations[s.key] = [:]
        case .updateService(let s):
            guard services[s.key] != nil else { throw fail("no service: \(op)") }
            services[s.key] = s
        case .deleteService(let k):
            guard services.removeValue(forKey: k) != nil else { throw fail("no service: \(op)") }
            destinations[k] = nil
        case .addDestination(let k, let d):
            guard services[k] != nil else { throw fail("no service: \(op)") }
            if let existing = destinations[k]![d.key], !existing.draining { throw fail("destination exists: \(op)") }
            destinations[k]![d.key] = Dest(destination: d, draining: false)
        case .updateDestination(let k, let d, let pending):
            guard services[k] != nil, destinations[k]![d.key] != nil else { throw fail("no destination: \(op)") }
            if pending && d.weight != 0 { throw fail("drain with weight: \(op)") }
            destinations[k]![d.key] = Dest(destination: d, draining: pending)
        case .deleteDestination(let k, let d):
            guard services[k] != nil, destinations[k]!.removeValue(forKey: d) != nil else { throw fail("no destination: \(op)") }
        case .restoreIptables(let r):
            for word in r.restoreText.split(whereSeparator: { $0 == " " || $0 == "\n" }) where word.hasPrefix("SWITCHYARD-") {
                let name = String(word)
                if r.restoreText.contains("--match-set \(name) "), sets[name] == nil { throw fail("rule uses missing set \(name)") }
            }
            iptables[r.family] = r
        case .removeIptables(let f):
            guard iptables.removeValue(forKey: f) != nil else { throw fail("no rules: \(op)") }
        }
    }

    /// The applier's later step: delete drained real servers once their connections are gone.
    mutating func finishDrains() {
        for k in destinations.keys { destinations[k] = destinations[k]!.filter { !$0.value.draining } }
    }

    var drainingCount: Int { destinations.values.reduce(0) { $0 + $1.values.filter(\.draining).count } }

    /// What the kernel holds, as a plan (draining real servers included with weight 0).
    var plan: IPVSPlan {
        var vs: [IPVSServiceKey: IPVSVirtualServer] = [:]
        for (k, s) in services {
            vs[k] = IPVSVirtualServer(service: s, destinations: destinations[k]!.values.map(\.destination))
        }
        return IPVSPlan(virtualServers: vs, addresses: addresses, ipsets: sets, iptables: iptables)
    }

    /// The plan with its virtual servers' origins dropped (the kernel does not know them).
    static func comparable(_ p: IPVSPlan) -> IPVSPlan {
        var p = p
        for k in p.virtualServers.keys { p.virtualServers[k]!.origin = nil }
        return p
    }
}
