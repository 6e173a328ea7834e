import Foundation
import Model
import RenderIptables
import SwitchyardCore
import Testing

/// Applies rendered rules with the real iptables-restore / ipset inside throwaway namespaces.
@Suite(.enabled(if: IptNamespace.available, "needs root, iproute2, iptables and ipset"))
struct IptKernelTests {
    static func saveCommand(_ f: IPFamily) -> String { f == .ipv4 ? "iptables-save" : "ip6tables-save" }

    /// Current nat + filter text of a family.
    static func saved(_ ns: IptNamespace, _ f: IPFamily) throws -> String {
        try ns.must("\(saveCommand(f)) -t nat") + ns.must("\(saveCommand(f)) -t filter")
    }

    static func savedAll(_ ns: IptNamespace) throws -> [IPFamily: String] {
        [.ipv4: try saved(ns, .ipv4), .ipv6: try saved(ns, .ipv6)]
    }

    /// Applies every family: ipset first, then the restore with --noflush.
    static func apply(_ out: IptablesOutput, _ ns: IptNamespace) throws {
        for f in out.families {
            if !f.ipsetRestore.isEmpty { try ns.must("ipset restore", input: f.ipsetRestore) }
            if !f.restore.isEmpty { try ns.must(f.restoreCommand, input: f.restore) }
        }
    }

    /// Our chains and ipset members, normalised: counters dropped; dispatch chains (whose
    /// rule order depends on history and never matters) sorted.
    static func snapshot(_ ns: IptNamespace) throws -> [String] {
        var out: [String] = []
        let unordered: Set<String> = ["nat SWITCHYARD-DISPATCH", "nat SWITCHYARD-NODEPORTS", "filter SWITCHYARD-SERVICES",
                                      "filter SWITCHYARD-CLUSTER-IPS"]
        for f in IPFamily.allCases {
            var chains: [String: [String]] = [:]
            var table = ""
            for line in try saved(ns, f).split(separator: "\n") {
                if line.hasPrefix("*") { table = String(line.dropFirst()) }
                if line.hasPrefix(":SWITCHYARD-") { chains["\(table) \(line.dropFirst().split(separator: " ")[0])", default: []] += [] }
                if line.hasPrefix("-A SWITCHYARD-") {
                    let chain = String(line.split(separator: " ")[1])
                    chains["\(table) \(chain)", default: []].append(String(line))
                }
            }
            for (name, rules) in chains.sorted(by: { $0.key < $1.key }) {
                out.append("\(f.rawValue) \(name)")
                out += unordered.contains(name) ? rules.sorted() : rules
            }
            let members = try ns.must("ipset list \(IptablesNames.hairpinSet(f))").split(separator: "\n")
                .drop { $0 != "Members:" }.dropFirst().map(String.init).sorted()
            out += members.map { "\(f.rawValue) ipset \($0)" }
        }
        return out
    }

    @Test func restoreTestModeAcceptsEveryFeature() throws {
        let out = IptablesRenderer().renderFull(IptFixtures.state(IptFixtures.everyFeature))
        try IptNamespace.with { ns in
            for f in out.families {
                try ns.must("ipset restore", input: f.ipsetRestore)
                let cmd = f.family == .ipv4 ? "iptables-restore --test --noflush" : "ip6tables-restore --test --noflush"
                try ns.must(cmd, input: f.restore)
            }
        }
    }

    @Test func jumpRulesAreAddedOnceAcrossFullSyncs() throws {
        let renderer = IptablesRenderer()
        let state = IptFixtures.state(IptFixtures.everyFeature)
        try IptNamespace.with { ns in
            for _ in 0..<3 { try Self.apply(renderer.renderFull(state, saved: try Self.savedAll(ns)), ns) }
            for f in IPFamily.allCases {
                let text = try Self.saved(ns, f)
                let jumps = text.split(separator: "\n").filter {
                    $0.hasPrefix("-A PREROUTING") || $0.hasPrefix("-A OUTPUT") || $0.hasPrefix("-A POSTROUTING")
                        || $0.hasPrefix("-A INPUT") || $0.hasPrefix("-A FORWARD")
                }
                #expect(jumps.count == IptablesJumps.all.count, "\(f): \(jumps)")
                #expect(IptablesJumps.jumpRules(missingFrom: text).isEmpty)
                #expect(IptablesJumps.missing(from: text).isEmpty)
            }
        }
    }

    @Test func fullSyncDeletesStaleChains() throws {
        let renderer = IptablesRenderer()
        let ports = IptFixtures.everyFeature
        let smaller = ports.filter { $0.key.service.name != "lb-local" }
        try IptNamespace.with { ns in
            try Self.apply(renderer.renderFull(IptFixtures.state(ports), saved: try Self.savedAll(ns)), ns)
            let gone = IptablesNames.firewallChain(ports.first { $0.key.service.name == "lb-local" }!.key)
            #expect(try Self.saved(ns, .ipv4).contains(gone))
            try Self.apply(renderer.renderFull(IptFixtures.state(smaller), saved: try Self.savedAll(ns)), ns)
            #expect(try !Self.saved(ns, .ipv4).contains(gone))
            let afterStale = try Self.snapshot(ns)
            let fresh = try IptNamespace.with { fresh in
                try Self.apply(renderer.renderFull(IptFixtures.state(smaller), saved: try Self.savedAll(fresh)), fresh)
                return try Self.snapshot(fresh)
            }
            #expect(afterStale == fresh)
        }
    }

    @Test func fullSyncSplitIntoTransactionsEqualsOneTransaction() throws {
        let state = IptFixtures.state(IptFixtures.everyFeature)
        let split = IptablesRenderer(options: IptablesOptions(fullSyncTransactionRules: 3))
        let whole = IptablesRenderer(options: IptablesOptions(fullSyncTransactionRules: .max))
        #expect(split.renderFull(state).families[0].restore.components(separatedBy: "*nat\n").count > 5)
        let a = try IptNamespace.with { ns in
            try Self.apply(split.renderFull(state, saved: try Self.savedAll(ns)), ns)
            try Self.apply(split.renderFull(state, saved: try Self.savedAll(ns)), ns) // over existing rules too
            return try Self.snapshot(ns)
        }
        let b = try IptNamespace.with { ns in
            try Self.apply(whole.renderFull(state, saved: try Self.savedAll(ns)), ns)
            return try Self.snapshot(ns)
        }
        #expect(a == b)
        #expect(a.contains { $0.contains("SWITCHYARD-DISPATCH -d 10.96.0.10/32") })
    }

    /// Partial renders applied after a full render leave exactly what a full render of the
    /// final state gives, over a seeded random sequence of updates; checked after every step.
    @Test(arguments: [UInt64(1), 2, 3])
    func partialSyncsMatchFullSync(seed: UInt64) throws {
        var rng = IptRandom(seed: seed)
        let renderer = IptablesRenderer()
        var ports: [ServicePort] = []
        var next = 0
        for _ in 0..<12 { ports.append(rng.port(next, family: rng.chance(0.5) ? .ipv4 : .ipv6)); next += 1 }
        var state = IptFixtures.state(ports)
        try IptNamespace.with { ns in
            try IptNamespace.with { fresh in
                try Self.apply(renderer.renderFull(state, saved: try Self.savedAll(ns)), ns)
                for step in 0..<12 {
                    for _ in 0..<Int.random(in: 1...3, using: &rng) { rng.update(&ports, nextIndex: &next) }
                    let newState = IptFixtures.state(ports)
                    let partial = renderer.renderIncremental(IptFixtures.diff(state, newState), state: newState)
                    #expect(!partial.isFull)
                    try Self.apply(partial, ns)
                    state = newState
                    // Reference: a full render of the same state into a second namespace, by another
                    // renderer (a full render resets what the partial one remembers).
                    try Self.apply(IptablesRenderer().renderFull(state, saved: try Self.savedAll(fresh)), fresh)
                    let got = try Self.snapshot(ns), want = try Self.snapshot(fresh)
                    let missing = want.filter { !got.contains($0) }, extra = got.filter { !want.contains($0) }
                    #expect(got == want, "seed \(seed) step \(step): partial differs from full; missing \(missing), extra \(extra)")
                    if got != want { return }
                }
            }
        }
    }
}
