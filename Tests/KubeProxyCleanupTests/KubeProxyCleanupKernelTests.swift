import Foundation
import KubeProxyCleanup
import Testing

/// `switchyard cleanup --kube-proxy` for real, in throwaway namespaces, against kube-proxy-shaped rules
/// beside foreign and Switchyard rules that must survive untouched. Root only.
@Suite(.enabled(if: CleanupNamespace.available, "needs root and ip netns"))
struct KubeProxyCleanupKernelTests {
    @Test(arguments: ["nft", "legacy"])
    func iptablesModeLeavesOnlyForeignRules(variant: String) throws {
        try CleanupNamespace.with { ns in
            let v4 = "iptables-\(variant)", v6 = "ip6tables-\(variant)"
            try ns.must(["\(v4)-restore"], input: CleanupNamespace.fixture("foreign-v4.rules"))
            try ns.must(["\(v6)-restore"], input: CleanupNamespace.fixture("foreign-v6.rules"))
            let before4 = CleanupNamespace.structure(try ns.must(["\(v4)-save"]))
            let before6 = CleanupNamespace.structure(try ns.must(["\(v6)-save"]))
            try ns.must(["\(v4)-restore", "--noflush"], input: CleanupNamespace.fixture("kube-proxy-iptables-v4.rules"))
            try ns.must(["\(v6)-restore", "--noflush"], input: CleanupNamespace.fixture("kube-proxy-iptables-v6.rules"))
            #expect(try ns.must(["\(v4)-save"]).contains("KUBE-SVC-NPX46M4PTMTKRN6Y"))

            let dry = try ns.cleanup(["--dry-run"])
            #expect(dry.succeeded, "\(dry.error)")
            #expect(dry.output.contains("would: \(v4) nat"))
            #expect(CleanupNamespace.structure(try ns.must(["\(v4)-save"]))["nat"]?["KUBE-SERVICES"] != nil, "dry run changed nothing")

            let run = try ns.cleanup()
            #expect(run.succeeded, "\(run.error)")
            #expect(CleanupNamespace.structure(try ns.must(["\(v4)-save"])) == before4)
            #expect(CleanupNamespace.structure(try ns.must(["\(v6)-save"])) == before6)

            let again = try ns.cleanup()
            #expect(again.succeeded && again.output.contains("no kube-proxy leftovers found"), "\(again.output)")
        }
    }

    @Test func nftablesModeDeletesOnlyKubeProxysTables() throws {
        try CleanupNamespace.with { ns in
            try ns.must(["nft", "-f", "-"], input: CleanupNamespace.fixture("foreign.nft"))
            let before = try ns.must(["nft", "list", "ruleset"])
            try ns.must(["nft", "-f", "-"], input: CleanupNamespace.fixture("kube-proxy.nft"))
            #expect(try ns.must(["nft", "list", "tables"]).contains("table ip6 kube-proxy"))

            let run = try ns.cleanup()
            #expect(run.succeeded, "\(run.error)")
            #expect(run.output.contains("did: delete nftables table ip kube-proxy"))
            #expect(try ns.must(["nft", "list", "ruleset"]) == before)
        }
    }

    @Test func ipvsModeLeftoversWithoutIPVS() throws {
        try CleanupNamespace.with { ns in
            try ns.must(["ipset", "restore"], input: CleanupNamespace.fixture("foreign.ipset"))
            try ns.must(["iptables-nft-restore"], input: CleanupNamespace.fixture("foreign-v4.rules"))
            let rulesBefore = CleanupNamespace.structure(try ns.must(["iptables-nft-save"]))
            let setsBefore = try ns.must(["ipset", "list", "-n"])
            try ns.must(["ipset", "restore"], input: CleanupNamespace.fixture("kube-proxy-ipvs.ipset"))
            try ns.must(["iptables-nft-restore", "--noflush"], input: CleanupNamespace.fixture("kube-proxy-ipvs-v4.rules"))
            // kube-ipvs0 needs the dummy module; the host may lack it (then only that part is skipped).
            let hasDummy = ns.runner.run(["ip", "link", "add", "kube-ipvs0", "type", "dummy"]).succeeded
            if hasDummy {
                try ns.must(["ip", "address", "add", "10.96.0.1/32", "dev", "kube-ipvs0"])
                try ns.must(["ip", "link", "add", "switchyard-ipvs", "type", "dummy"])
            }

            let run = try ns.cleanup()
            #expect(run.succeeded, "\(run.error)")
            #expect(CleanupNamespace.structure(try ns.must(["iptables-nft-save"])) == rulesBefore)
            #expect(try ns.must(["ipset", "list", "-n"]) == setsBefore)
            if hasDummy {
                #expect(!ns.runner.run(["ip", "link", "show", "dev", "kube-ipvs0"]).succeeded)
                #expect(ns.runner.run(["ip", "link", "show", "dev", "switchyard-ipvs"]).succeeded)
                #expect(run.output.contains("delete interface kube-ipvs0 (10.96.0.1)"))
            }
        }
    }

    @Test func libraryRunsThroughANamespacePrefix() throws {
        try CleanupNamespace.with { ns in
            try ns.must(["nft", "-f", "-"], input: CleanupNamespace.fixture("kube-proxy.nft"))
            let report = KubeProxyCleaner(runner: ns.runner).run()
            #expect(report.succeeded, "\(report.failures)")
            #expect(report.actions == ["delete nftables table ip kube-proxy", "delete nftables table ip6 kube-proxy"])
            #expect(!(try ns.must(["nft", "list", "tables"]).contains("kube-proxy")))
        }
    }
}
