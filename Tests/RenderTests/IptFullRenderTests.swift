import Model
@testable import RenderIptables
import SwitchyardCore
import Testing

/// The full render's fast path (lines serialised per port on every core, hairpin members sorted as
/// packed keys) against the straightforward construction it replaced: same bytes.
@Suite struct IptFullRenderTests {
    /// The restore text and ipset input of one family built the plain way: every chain declared
    /// and every rule appended through the builder, hairpin members collected in a `Set`.
    func reference(_ state: ProxyState, family: IPFamily, options: IptablesOptions, comments: Bool) -> (String, String) {
        let r = IptablesRenderer(options: options)
        let ctx = IptablesContext(state: state, family: family, options: options, comments: comments)
        var b = IptablesRestoreBuilder()
        _ = r.renderHelperChains(ctx, into: &b)
        var hairpin = Set<HairpinMember>()
        var dispatch: [String] = [], nodePorts: [String] = [], filter: [String] = [], clusterIPs: [String] = []
        var pending = 0
        for p in state.ports(family: family) {
            let rules = PortRules(p, ctx)
            for c in rules.chains {
                b.declareChain(c.name, table: "nat")
                for rule in c.rules { b.append(c.name, rule, table: "nat") }
                pending += c.rules.count
            }
            dispatch += rules.dispatch; nodePorts += rules.nodePorts; filter += rules.filter; clusterIPs += rules.clusterIPReject
            hairpin.formUnion(rules.hairpin)
            if pending >= options.fullSyncTransactionRules { b.commit(); pending = 0 }
        }
        b.commit()
        for c in [IptablesNames.natServices, IptablesNames.natDispatch, IptablesNames.natNodePorts] { b.declareChain(c, table: "nat") }
        b.declareChain(IptablesNames.filterServices, table: "filter")
        b.declareChain(IptablesNames.filterClusterIPs, table: "filter")
        r.renderEntryChain(ctx, into: &b)
        for rule in dispatch { b.append(IptablesNames.natDispatch, rule, table: "nat") }
        for rule in nodePorts { b.append(IptablesNames.natNodePorts, rule, table: "nat") }
        for rule in filter { b.append(IptablesNames.filterServices, rule, table: "filter") }
        for rule in clusterIPs { b.append(IptablesNames.filterClusterIPs, rule, table: "filter") }
        let set = IptablesNames.hairpinSet(family), tmp = set + "-T"
        let fam = family == .ipv4 ? "inet" : "inet6"
        var ipset = "create \(set) hash:ip,port,ip family \(fam) \(IptablesRenderer.ipsetOptions) -exist\n"
        ipset += "create \(tmp) hash:ip,port,ip family \(fam) \(IptablesRenderer.ipsetOptions) -exist\n"
        ipset += "flush \(tmp)\n"
        for m in hairpin.sorted() { ipset += "add \(tmp) \(m.text)\n" }
        ipset += "swap \(tmp) \(set)\ndestroy \(tmp)\n"
        return (b.text, ipset)
    }

    @Test(arguments: [1, 2, 3, 4]) func fullRenderMatchesThePlainConstruction(seed: UInt64) {
        var rng = IptRandom(seed: seed)
        // Enough ports for the parallel path, small transactions so the splitting is exercised.
        let ports = (0..<1500).map { rng.port($0, family: rng.chance(0.6) ? .ipv4 : .ipv6) }
        let state = IptFixtures.state(ports)
        let options = IptablesOptions(commentEndpointLimit: seed % 2 == 0 ? 100_000 : 10, fullSyncTransactionRules: 7 + Int(seed) * 97)
        let out = IptablesRenderer(options: options).renderFull(state)
        let comments = seed % 2 == 0
        for family in IPFamily.allCases {
            let (restore, ipset) = reference(state, family: family, options: options, comments: comments)
            let f = out.family(family)
            #expect(f?.restore == restore)
            #expect(f?.ipsetRestore == ipset)
            #expect(f?.ruleCommands == restore.split(separator: "\n").filter { $0.hasPrefix("-A ") || $0.hasPrefix("-I ") }.count)
            #expect(f?.chainsDeclared == restore.split(separator: "\n").filter { $0.hasPrefix(":") }.count)
        }
    }

    @Test func hairpinMembersSortLikeTheirOrder() {
        var rng = IptRandom(seed: 9)
        for family in IPFamily.allCases {
            var members: [HairpinMember] = []
            for _ in 0..<2000 {
                let ip = rng.addr(family, 10, 244, UInt8.random(in: 0...3, using: &rng), UInt8.random(in: 0...255, using: &rng))
                members.append(HairpinMember(ip: ip, proto: L4Protocol.allCases.randomElement(using: &rng)!,
                                             port: UInt16.random(in: 0...3, using: &rng) * 20_000))
            }
            let expected = Set(members).sorted()
            #expect(HairpinSet.sortedUnique(members) == expected)
            #expect(HairpinSet.addLines("S", expected) == expected.map { "add S \($0.text)\n" }.joined())
        }
    }

    @Test func renderedLinesTakeTheirPlaceInTheTable() {
        var b = IptablesRestoreBuilder()
        b.declareChain("A", table: "nat")
        b.append("A", "-j RETURN", table: "nat")
        b.addRendered(table: "nat", declarations: ":B - [0:0]\n:C - [0:0]\n", declarationCount: 2,
                      commands: "-A B -j C\n-A C -j RETURN\n", commandCount: 2)
        b.addRendered(table: "filter", declarations: "", declarationCount: 0, commands: "", commandCount: 0)
        b.delete("A", "-j X", table: "nat")
        #expect(b.text == "*nat\n:A - [0:0]\n:B - [0:0]\n:C - [0:0]\n-D A -j X\n-A A -j RETURN\n-A B -j C\n-A C -j RETURN\nCOMMIT\n")
        #expect(b.ruleCommandCount == 4 && b.declarationCount == 3)
    }
}
