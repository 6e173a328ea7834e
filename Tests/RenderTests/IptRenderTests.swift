import Diff
import Foundation
import Model
import RenderIptables
import SwitchyardCore
import Testing

@Suite struct IptRenderTests {
    let renderer = IptablesRenderer()

    /// Lines of one family's restore input.
    func lines(_ out: IptablesOutput, _ f: IPFamily = .ipv4) -> [String] {
        (out.family(f)?.restore ?? "").split(separator: "\n").map(String.init)
    }

    @Test func chainNamesAreShortPrefixedAndUnique() {
        var rng = IptRandom(seed: 42)
        var seen: [String: ServicePortKey] = [:]
        for i in 0..<3000 {
            let p = rng.port(i, family: i % 2 == 0 ? .ipv4 : .ipv6)
            for name in [IptablesNames.serviceChain(p.key), IptablesNames.externalChain(p.key),
                         IptablesNames.firewallChain(p.key), IptablesNames.clusterChain(p.key)] {
                #expect(name.count <= 28 && name.hasPrefix("SWITCHYARD-"), "\(name)")
                #expect(seen[name] == nil || seen[name] == p.key, "collision \(name)")
                seen[name] = p.key
            }
        }
        let all = [IptablesNames.natServices, IptablesNames.natDispatch, IptablesNames.natNodePorts, IptablesNames.natPostrouting,
                   IptablesNames.natMasqNonPod, IptablesNames.filterForward]
        #expect(all.allSatisfy { $0.count <= 28 })
        #expect(IptablesNames.hairpinSet(.ipv6).count + 2 <= 31) // with the "-T" swap suffix
    }

    @Test func everyDeclaredChainIsOursAndEveryJumpTargetIsDeclared() {
        let out = renderer.renderFull(IptFixtures.state(IptFixtures.everyFeature))
        for f in IPFamily.allCases {
            let ls = lines(out, f)
            let declared = Set(ls.filter { $0.hasPrefix(":") }.map { String($0.dropFirst().split(separator: " ")[0]) })
            #expect(declared.allSatisfy { $0.hasPrefix("SWITCHYARD-") && $0.count <= 28 })
            for l in ls where l.hasPrefix("-A ") {
                #expect(declared.contains(String(l.split(separator: " ")[1])))
                if let r = l.range(of: "-j SWITCHYARD-") {
                    #expect(declared.contains(String(l[r.upperBound...].split(separator: " ")[0]).withPrefix), "\(l)")
                }
            }
        }
    }

    @Test func hostileNamesCannotAlterTheRuleset() {
        func port(_ ns: String, _ name: String, _ portName: String) -> ServicePort {
            var p = IptFixtures.everyFeature[0]
            p.key = IptFixtures.key(ns, name, portName)
            return p
        }
        let benign = renderer.renderFull(IptFixtures.state([port("default", "web", "http")]))
        let hostile = renderer.renderFull(IptFixtures.state([port("x\" -j ACCEPT\n-A INPUT -j DROP\n#", "we\"b\r\nCOMMIT", "h\u{0}t\"tp")]))
        let b = lines(benign), h = lines(hostile)
        #expect(b.count == h.count)
        #expect(!h.contains { $0.hasPrefix("-A INPUT") || $0 == "COMMIT" && false })
        #expect(h.filter { $0 == "COMMIT" }.count == b.filter { $0 == "COMMIT" }.count)
        // Same rules apart from the quoted comment text and the hashed chain names.
        func shape(_ line: String) -> String {
            let outsideQuotes = line.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 0 }.map(\.element).joined(separator: "\"…\"")
            return outsideQuotes.split(separator: " ").map { tok in
                let t = tok.hasPrefix(":") ? tok.dropFirst() : tok
                return t.hasPrefix("SWITCHYARD-") && t.count == 27 ? String(tok.dropLast(12)) : String(tok)
            }.joined(separator: " ")
        }
        #expect(b.map(shape) == h.map(shape))
        #expect(h.allSatisfy { $0.filter { $0 == "\"" }.count % 2 == 0 && !$0.contains("\r") })
    }

    @Test func commentsAreDroppedAboveOneThousandEndpoints() {
        func state(endpoints: Int) -> ProxyState {
            var ports: [ServicePort] = []
            var left = endpoints, i = 0
            while left > 0 {
                let n = min(left, 100)
                let eps = (0..<n).map { IptFixtures.ep("10.244.\(i).\($0 + 1)", 80) }
                ports.append(ServicePort(key: IptFixtures.key("ns", "s\(i)", "p"), clusterIP: IptFixtures.ip("10.96.1.\(i + 1)"), port: 80,
                                         clusterEndpoints: eps, internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster)))
                left -= n; i += 1
            }
            return IptFixtures.state(ports)
        }
        let at = renderer.renderFull(state(endpoints: 1000)).text
        let above = renderer.renderFull(state(endpoints: 1001)).text
        #expect(at.contains("--comment \"ns/s0:p cluster IP\""))
        #expect(!above.contains("ns/s0"))
        // Crossing the threshold changes every rule's text: the partial render turns into a full one.
        let old = state(endpoints: 1000), new = state(endpoints: 1001)
        #expect(renderer.renderIncremental(IptFixtures.diff(old, new), state: new).isFull)
        #expect(!renderer.renderIncremental(IptFixtures.diff(new, state(endpoints: 1002)), state: state(endpoints: 1002)).isFull)
    }

    @Test func oneEndpointChangeRewritesOnlyItsServiceChain() {
        let old = IptFixtures.state(IptFixtures.everyFeature)
        var ports = IptFixtures.everyFeature
        ports[0].clusterEndpoints.removeLast()
        let new = IptFixtures.state(ports)
        let out = renderer.renderIncremental(IptFixtures.diff(old, new), state: new)
        let ls = lines(out)
        #expect(!out.isFull && out.families.map(\.family) == [.ipv4])
        #expect(ls.filter { $0.hasPrefix(":") } == [":\(IptablesNames.serviceChain(ports[0].key)) - [0:0]"])
        #expect(!ls.contains { $0.hasPrefix("-D") || $0.contains("DISPATCH") || $0.hasPrefix("-X") })
        #expect(out.family(.ipv4)?.ipsetRestore == "del SWITCHYARD-HAIRPIN-V4 10.244.3.7,tcp:8080,10.244.3.7 -exist\n")
        #expect(renderer.renderIncremental(IptFixtures.diff(new, new), state: new).isEmpty)
    }

    @Test func removedPortDeletesItsChainsAndDispatchRules() {
        let old = IptFixtures.state(IptFixtures.everyFeature)
        let ports = IptFixtures.everyFeature.filter { !($0.key.service.name == "lb-local" && $0.key.family == .ipv4) }
        let new = IptFixtures.state(ports)
        let ls = lines(renderer.renderIncremental(IptFixtures.diff(old, new), state: new))
        let key = IptFixtures.everyFeature.first { $0.key.service.name == "lb-local" }!.key
        let chains = [IptablesNames.serviceChain(key), IptablesNames.externalChain(key), IptablesNames.firewallChain(key)]
        #expect(Set(ls.filter { $0.hasPrefix("-X") }) == Set(chains.map { "-X \($0)" }))
        #expect(ls.filter { $0.hasPrefix("-D SWITCHYARD-DISPATCH") }.count == 2)
        #expect(ls.filter { $0.hasPrefix("-D SWITCHYARD-NODEPORTS") }.count == 1)
        #expect(ls.filter { $0.hasPrefix("-D SWITCHYARD-SERVICES") }.count == 1) // the firewall DROP
        #expect(!ls.contains { $0.hasPrefix("-A") })
        // Deletions come after every rule command.
        let firstX = ls.firstIndex { $0.hasPrefix("-X") }!
        let natEnd = ls[firstX...].firstIndex(of: "COMMIT")!
        #expect(ls[firstX..<natEnd].allSatisfy { $0.hasPrefix("-X") })
    }

    @Test func statisticProbabilitiesGiveEveryEndpointAnEqualShare() {
        for n in 1...12 {
            var p = IptFixtures.everyFeature[0]
            p.clusterEndpoints = (0..<n).map { IptFixtures.ep("10.244.0.\($0 + 1)", 80) }
            p.externalIPs = []; p.nodePort = nil
            let ls = lines(renderer.renderFull(IptFixtures.state([p]))).filter { $0.contains("-j DNAT") }
            #expect(ls.count == n)
            var remaining = 1.0
            for l in ls {
                var prob = 1.0
                if let r = l.range(of: "--probability ") { prob = Double(l[r.upperBound...].split(separator: " ")[0])! }
                #expect(abs(remaining * prob - 1.0 / Double(n)) < 1e-6, "n=\(n): \(l)")
                remaining *= 1 - prob
            }
        }
    }

    @Test func affinityChecksAndSetsTheRecentListInTheDnatRules() {
        let dns = IptFixtures.everyFeature.first { $0.key.service.name == "dns" && $0.key.family == .ipv4 }!
        let ls = lines(renderer.renderFull(IptFixtures.state([dns])))
        let chain = ls.filter { $0.hasPrefix("-A \(IptablesNames.serviceChain(dns.key)) ") && $0.contains("DNAT") }
        #expect(chain.count == 2 * dns.clusterEndpoints.count)
        for ep in dns.clusterEndpoints {
            let list = IptablesNames.affinityList(dns.key, ep)
            let mine = chain.filter { $0.hasSuffix("--to-destination \(ep)") }
            #expect(mine.count == 2)
            #expect(mine.allSatisfy { $0.contains("--name \(list) ") && $0.contains("--set") })
            #expect(mine.contains { $0.contains("--rcheck --seconds 10800 --reap") })
        }
    }

    @Test func restoreBuilderOrdersDeclarationsDeletesRulesAndChainDeletions() {
        var b = IptablesRestoreBuilder()
        b.append("A", "-j B", table: "nat")
        b.deleteChain("OLD", table: "nat")
        b.delete("D", "-j OLD", table: "nat")
        b.declareChain("A", table: "nat")
        b.declareChain("A", table: "nat")
        b.insert("INPUT", "-j F", table: "filter")
        #expect(b.text == "*nat\n:OLD - [0:0]\n:A - [0:0]\n-D D -j OLD\n-A A -j B\n-X OLD\nCOMMIT\n*filter\n-I INPUT -j F\nCOMMIT\n")
        #expect(b.ruleCommandCount == 3 && b.declarationCount == 2)
        #expect(IptablesRestoreBuilder().isEmpty && IptablesRestoreBuilder().text.isEmpty)
    }

    @Test func jumpRulesListOnlyWhatIsMissing() {
        let all = IptablesJumps.jumpRules(missingFrom: "")
        #expect(all.split(separator: "\n").filter { $0.hasPrefix("-I") }.count == IptablesJumps.all.count)
        let fwd = IptablesJumps.all.filter { $0.chain == "FORWARD" }
        let saved = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD \(fwd[0].spec)\nCOMMIT\n"
        let missing = IptablesJumps.missing(from: saved)
        #expect(missing.count == IptablesJumps.all.count - 1 && !missing.contains(fwd[0]))
        // Inserted at the top in reverse, so they end up in declared order.
        let nat = IptablesJumps.missing(from: "").filter { $0.table == "nat" }.map(\.chain)
        #expect(nat == ["POSTROUTING", "OUTPUT", "PREROUTING"])
    }

    @Test func jsonDescribesEachFamily() throws {
        let out = renderer.renderFull(IptFixtures.state(IptFixtures.everyFeature))
        let obj = try JSONSerialization.jsonObject(with: Data(out.json.utf8)) as? [String: Any]
        let fams = obj?["families"] as? [[String: Any]]
        #expect(obj?["mode"] as? String == "full")
        #expect(fams?.count == 2)
        #expect(fams?.first?["restore"] as? String == out.families[0].restore)
    }

    @Test func fullRenderCountsStaySmallPerEndpoint() {
        // Shape guard: a ClusterIP port with n endpoints costs 1 chain and n + 3 rules (masquerade,
        // n DNATs, dispatch, undefined-port reject).
        let eps = (0..<10).map { IptFixtures.ep("10.244.0.\($0 + 1)", 80) }
        let p = ServicePort(key: IptFixtures.key("ns", "s", "p"), clusterIP: IptFixtures.ip("10.96.0.1"), port: 80,
                            clusterEndpoints: eps, internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
        let empty = renderer.renderFull(IptFixtures.state([])).family(.ipv4)!
        let one = renderer.renderFull(IptFixtures.state([p])).family(.ipv4)!
        #expect(one.chainsDeclared - empty.chainsDeclared == 1)
        #expect(one.ruleCommands - empty.ruleCommands == 13)
    }
}

private extension String {
    /// Re-adds the `SWITCHYARD-` prefix cut off by the `-j SWITCHYARD-` search.
    var withPrefix: String { "SWITCHYARD-" + self }
}
