import Diff
import Model
import SwitchyardCore
import Testing

@Suite struct StateDiffTests {
    let a = Fixture.name(1)
    let b = Fixture.name(2)

    @Test func identicalStatesGiveEmptyDiffs() {
        let s = Fixture.state([ServiceState(name: a, ports: [Fixture.port(a)])])
        #expect(StateDiff.between(old: s, new: s, services: [a, b], nodeChanged: false).isEmpty)
        #expect(StateDiff.full(old: s, new: s).isEmpty)
    }

    @Test func addedServiceListsAllItsPorts() throws {
        let old = Fixture.state([])
        let p1 = Fixture.port(a, "http"), p2 = Fixture.port(a, "dns", proto: .udp, port: 53)
        let new = Fixture.state([ServiceState(name: a, ports: [p1, p2])])
        let d = StateDiff.between(old: old, new: new, services: [a], nodeChanged: false)
        #expect(d.added.map(\.key) == [p2.key, p1.key])  // sorted: "dns" < "http"
        #expect(d.removed.isEmpty && d.changed.isEmpty && !d.requiresFullSync)
        #expect(d == StateDiff.full(old: old, new: new))
    }

    @Test func removedServiceListsItsLastPorts() {
        let p = Fixture.port(a)
        let old = Fixture.state([ServiceState(name: a, ports: [p])])
        let new = Fixture.state([])
        let d = StateDiff.between(old: old, new: new, services: [a], nodeChanged: false)
        #expect(d.removed == [p])
        #expect(d.added.isEmpty && d.changed.isEmpty)
        #expect(old.applying(d) == new)
    }

    @Test func addedAndRemovedPortsWithinOneService() {
        let http = Fixture.port(a, "http"), https = Fixture.port(a, "https", port: 443)
        let old = Fixture.state([ServiceState(name: a, ports: [http])])
        let new = Fixture.state([ServiceState(name: a, ports: [https])])
        let d = StateDiff.between(old: old, new: new, services: [a], nodeChanged: false)
        #expect(d.added == [https])
        #expect(d.removed == [http])
        #expect(d.changed.isEmpty)
        #expect(old.applying(d) == new)
    }

    @Test func changedEndpointsAreAPortChange() {
        let before = Fixture.port(a, endpoints: [1, 2]), after = Fixture.port(a, endpoints: [1, 3])
        let old = Fixture.state([ServiceState(name: a, ports: [before])])
        let new = Fixture.state([ServiceState(name: a, ports: [after])])
        let d = StateDiff.between(old: old, new: new, services: [a], nodeChanged: false)
        #expect(d.changed == [PortChange(old: before, new: after)])
        #expect(d.added.isEmpty && d.removed.isEmpty)
        #expect(old.applying(d) == new)
    }

    @Test func policyFlipAndClusterIPChangeAreChanges() {
        let before = Fixture.port(a)
        var flipped = before; flipped.internalPolicyLocal = true
        var moved = before; moved.clusterIP = Fixture.v4(0x0A60_0099)
        for after in [flipped, moved] {
            let old = Fixture.state([ServiceState(name: a, ports: [before])])
            let new = Fixture.state([ServiceState(name: a, ports: [after])])
            let d = StateDiff.between(old: old, new: new, services: [a], nodeChanged: false)
            #expect(d.changed.map(\.new) == [after])
            #expect(d.count == 1)
        }
    }

    @Test func dualStackPortsAreSeparateKeys() {
        let v4 = Fixture.port(a, family: .ipv4), v6 = Fixture.port(a, family: .ipv6)
        let old = Fixture.state([ServiceState(name: a, ports: [v4])])
        let new = Fixture.state([ServiceState(name: a, ports: [v4, v6])])
        let d = StateDiff.between(old: old, new: new, services: [a], nodeChanged: false)
        #expect(d.added == [v6])
        #expect(d.count == 1)
    }

    @Test func unlistedServicesAreNotCompared() {
        let old = Fixture.state([ServiceState(name: a, ports: [Fixture.port(a)]),
                                 ServiceState(name: b, ports: [Fixture.port(b, ip: 2)])])
        let new = Fixture.state([ServiceState(name: a, ports: [Fixture.port(a, endpoints: [9])]),
                                 ServiceState(name: b, ports: [Fixture.port(b, ip: 2, endpoints: [9])])])
        let onlyA = StateDiff.between(old: old, new: new, services: [a], nodeChanged: false)
        #expect(onlyA.changed.map(\.new.key.service) == [a])
        #expect(StateDiff.full(old: old, new: new).changed.map(\.new.key.service) == [a, b])
    }

    @Test func duplicateAndAbsentNamesAreHarmless() {
        let old = Fixture.state([])
        let new = Fixture.state([ServiceState(name: a, ports: [Fixture.port(a)])])
        let d = StateDiff.between(old: old, new: new, services: [a, a, Fixture.name(99)], nodeChanged: false)
        #expect(d.added.count == 1)
    }

    @Test func resultsAreSortedByKey() {
        let names = (0..<20).map { Fixture.name($0) }
        let old = Fixture.state([])
        let new = Fixture.state(names.map { ServiceState(name: $0, ports: [Fixture.port($0)]) })
        let d = StateDiff.between(old: old, new: new, services: names.reversed(), nodeChanged: false)
        #expect(d.added.map(\.key) == d.added.map(\.key).sorted())
        #expect(d.added.count == 20)
    }

    @Test func configOrNodeChangeRequiresFullSync() {
        let s = Fixture.state([ServiceState(name: a, ports: [Fixture.port(a)])])
        var reconfigured = s
        reconfigured.config.masqueradeAll = true
        #expect(StateDiff.between(old: s, new: reconfigured, services: [], nodeChanged: false).requiresFullSync)
        #expect(StateDiff.full(old: s, new: reconfigured).requiresFullSync)
        #expect(StateDiff.between(old: s, new: s, services: [], nodeChanged: true).requiresFullSync)
        var moved = s
        moved.node.zone = "zone-b"
        #expect(StateDiff.full(old: s, new: moved).requiresFullSync)
        #expect(StateDiff.full(old: s, new: moved).count == 0)
    }

    @Test func applyingKeepsConfigAndDropsEmptiedServices() {
        let p = Fixture.port(a)
        let old = Fixture.state([ServiceState(name: a, ports: [p])])
        let result = old.applying(StateDiff(removed: [p], requiresFullSync: true))
        #expect(result.services[a] == nil)
        #expect(result.config == old.config)
        #expect(result.services.isEmpty)
    }

    @Test func applyingKeepsPortsSorted() {
        let z = Fixture.port(a, "zz"), m = Fixture.port(a, "mm"), c = Fixture.port(a, "cc")
        let old = Fixture.state([ServiceState(name: a, ports: [z])])
        let result = old.applying(StateDiff(added: [m, c]))
        #expect(result.services[a]?.ports.map(\.key.portName) == ["cc", "mm", "zz"])
    }
}
