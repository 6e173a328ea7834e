import Diff
import Model
import SwitchyardCore
import Testing

/// Random edit sequences over directly built states: `between` with the touched set must equal
/// `full`, and applying it to the old state must give the new one.
@Suite struct StateDiffPropertyTests {
    /// Applies one random edit to `state`, returning the service it touched.
    static func edit(_ state: inout ProxyState, rng: inout TestRNG, nextID: inout Int) -> ServiceName {
        let names = Array(state.services.keys).sorted()
        func pick() -> ServiceName? { names.isEmpty ? nil : names[Int.random(in: 0..<names.count, using: &rng)] }
        func mutatePort(_ name: ServiceName, _ body: (inout ServicePort) -> Void) {
            guard var svc = state.services[name], !svc.ports.isEmpty else { return }
            let i = Int.random(in: 0..<svc.ports.count, using: &rng)
            body(&svc.ports[i])
            state.services[name] = ServiceState(name: name, ports: svc.ports)
        }
        let kind = names.count < 3 ? 0 : Int.random(in: 0..<10, using: &rng)
        switch kind {
        case 0: // add a service, possibly dual-stack and multi-port
            nextID += 1
            let name = Fixture.name(nextID, namespace: ["default", "kube-system", "team-a"][nextID % 3])
            var ports: [ServicePort] = []
            let portNames = ["http", "https", "dns", "metrics"].shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng))
            let dual = Bool.random(using: &rng)
            for (i, portName) in portNames.enumerated() {
                let eps = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Int.random(in: 1...500, using: &rng) }
                let proto: L4Protocol = portName == "dns" ? .udp : .tcp
                ports.append(Fixture.port(name, portName, proto: proto, ip: UInt32(nextID), port: UInt16(80 + i), endpoints: eps))
                if dual {
                    ports.append(Fixture.port(name, portName, proto: proto, family: .ipv6, ip: UInt32(nextID),
                                              port: UInt16(80 + i), endpoints: eps))
                }
            }
            state.services[name] = ServiceState(name: name, ports: ports)
            return name
        case 1: // remove a service
            let name = pick()!
            state.services[name] = nil
            return name
        case 2: // add a port (a new name, or the other family of an existing one)
            let name = pick()!
            var svc = state.services[name]!
            let template = svc.ports[0]
            let family: IPFamily = Bool.random(using: &rng) ? .ipv4 : .ipv6
            let portName = "p\(Int.random(in: 0..<6, using: &rng))"
            let added = Fixture.port(name, portName, family: family, ip: 7, port: UInt16.random(in: 1...9000, using: &rng),
                                     endpoints: template.clusterEndpoints.isEmpty ? [] : [3, 4])
            svc.ports.removeAll { $0.key == added.key }
            state.services[name] = ServiceState(name: name, ports: svc.ports + [added])
            return name
        case 3: // remove a port; a service left without ports disappears, as Model does
            let name = pick()!
            var ports = state.services[name]!.ports
            ports.remove(at: Int.random(in: 0..<ports.count, using: &rng))
            state.services[name] = ports.isEmpty ? nil : ServiceState(name: name, ports: ports)
            return name
        case 4, 5: // replace one endpoint, or drop all of them
            let name = pick()!
            let clear = Int.random(in: 0..<5, using: &rng) == 0
            let newEndpoint = Int.random(in: 1...500, using: &rng)
            mutatePort(name) { p in
                if clear || p.clusterEndpoints.isEmpty {
                    p.clusterEndpoints = clear ? [] : [Fixture.endpoint(newEndpoint, family: p.key.family)]
                } else {
                    p.clusterEndpoints[0] = Fixture.endpoint(newEndpoint, family: p.key.family)
                    p.clusterEndpoints.sort()
                }
                p.localEndpoints = p.clusterEndpoints.filter(\.isLocal)
                p.internalTraffic = p.clusterEndpoints.isEmpty ? .reject : .forward(.cluster)
            }
            return name
        case 6: // change the cluster IP
            let name = pick()!
            let ip = UInt32.random(in: 1...0xFFFF, using: &rng)
            mutatePort(name) { p in p.clusterIP = p.key.family == .ipv4 ? Fixture.v4(0x0A60_0000 + ip) : Fixture.v6(UInt64(ip)) }
            return name
        case 7: // flip a policy or affinity
            let name = pick()!
            let which = Int.random(in: 0..<4, using: &rng)
            mutatePort(name) { p in
                switch which {
                case 0: p.externalPolicyLocal.toggle()
                case 1: p.internalPolicyLocal.toggle()
                case 2: p.affinityTimeout = p.affinityTimeout == nil ? 10800 : nil
                default: p.nodePort = p.nodePort == nil ? UInt16.random(in: 30000...32767, using: &rng) : nil
                }
            }
            return name
        default: // touched but unchanged (an event that changed nothing the proxy uses)
            return pick()!
        }
    }

    @Test(arguments: [1, 2, 3, 42] as [UInt64])
    func randomEditSequences(seed: UInt64) throws {
        var rng = TestRNG(seed: seed)
        var nextID = 0
        var state = Fixture.state([])
        var nonEmptySteps = 0
        for step in 0..<300 {
            let old = state
            var touched = Set<ServiceName>()
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                touched.insert(Self.edit(&state, rng: &rng, nextID: &nextID))
            }
            let diff = StateDiff.between(old: old, new: state, services: touched, nodeChanged: false)
            let oracle = StateDiff.full(old: old, new: state)
            #expect(diff == oracle, "step \(step)")
            #expect(old.applying(diff) == state, "step \(step)")
            #expect(StateDiff.full(old: state, new: state).isEmpty)
            #expect(StateDiff.between(old: state, new: state, services: touched, nodeChanged: false).isEmpty)
            // Listing more services than were touched changes nothing.
            let extra = Array(old.services.keys.prefix(5))
            #expect(StateDiff.between(old: old, new: state, services: Array(touched) + extra, nodeChanged: false) == oracle)
            // The reverse diff undoes the step.
            #expect(state.applying(StateDiff.full(old: state, new: old)) == old, "step \(step)")
            if !diff.isEmpty { nonEmptySteps += 1 }
        }
        // The generator really produces changes.
        #expect(nonEmptySteps > 150)
        #expect(state.services.count > 3)
    }

    @Test func configChangesAlongTheWayRequireFullSync() {
        var rng = TestRNG(seed: 7)
        var nextID = 0
        var state = Fixture.state([])
        for step in 0..<100 {
            let old = state
            let touched = Self.edit(&state, rng: &rng, nextID: &nextID)
            let reconfigure = step % 10 == 9
            if reconfigure { state.config.masqueradeAll.toggle() }
            let diff = StateDiff.between(old: old, new: state, services: [touched], nodeChanged: false)
            #expect(diff.requiresFullSync == reconfigure)
            #expect(diff == StateDiff.full(old: old, new: state))
            var expected = old.applying(diff)
            expected.config = state.config
            #expect(expected == state)
        }
    }
}
