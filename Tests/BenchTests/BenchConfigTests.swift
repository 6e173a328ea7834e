import Testing
@testable import Bench

@Suite struct BenchConfigTests {
    func config(services: String = "1000", eps: Int = 10, backends: String = "nftables", runs: Int = 20, out: String = "o") throws -> BenchConfig {
        try BenchConfig.validated(services: services, endpointsPerService: eps, backends: backends, seed: 1, runs: runs, outDir: out)
    }

    @Test func parsesSortsAndDeduplicates() throws {
        let c = try config(services: "10000, 1000,5000,1000", backends: "iptables,nftables,iptables")
        #expect(c.services == [1000, 5000, 10000])
        #expect(c.backends == [.iptables, .nftables])
    }

    @Test(arguments: ["0", "-5", "1000,0", "", "1000,,2000", "abc", "1e3", "1000000"])
    func rejectsNonsenseSizes(_ services: String) {
        #expect(throws: BenchConfigError.self) { try config(services: services) }
    }

    @Test func rejectsBadCounts() {
        #expect(throws: BenchConfigError.self) { try config(eps: 0) }
        #expect(throws: BenchConfigError.self) { try config(eps: -1) }
        #expect(throws: BenchConfigError.self) { try config(runs: 0) }
        #expect(throws: BenchConfigError.self) { try config(out: "") }
    }

    @Test func rejectsUnknownBackendNamingIt() {
        do { _ = try config(backends: "nftables,bpf"); Issue.record("accepted bpf") } catch {
            #expect("\(error)".contains("bpf"))
        }
        #expect((try? config(backends: "ipvs"))?.backends == [.ipvs])
    }

    @Test func messageNamesTheBadValue() {
        do { _ = try config(services: "1000,-3"); Issue.record("accepted -3") } catch {
            #expect("\(error)".contains("-3"))
        }
    }

    @Test func ipvsPreflightNeedsTheUMLKernelAndScriptOnTheHostAndIpsetInTheGuest() {
        do {
            try BenchRunner.preflight([.ipvs], euid: 0, exists: { _ in true }, inGuest: false, umlRun: "/x/uml-run", umlKernelExists: false)
            Issue.record("accepted a missing UML kernel")
        } catch { #expect("\(error)".contains("User-Mode Linux")) }
        do {
            try BenchRunner.preflight([.ipvs], euid: 0, exists: { _ in true }, inGuest: false, umlRun: nil, umlKernelExists: true)
            Issue.record("accepted a missing uml-run")
        } catch { #expect("\(error)".contains("uml-run")) }
        #expect(throws: Never.self) {
            try BenchRunner.preflight([.ipvs], euid: 0, exists: { $0 != "ipset" }, inGuest: false, umlRun: "/x/uml-run", umlKernelExists: true)
        }
        do {
            try BenchRunner.preflight([.ipvs], euid: 0, exists: { $0 != "ipset" }, inGuest: true, umlRun: nil, umlKernelExists: false)
            Issue.record("accepted a guest without ipset")
        } catch { #expect("\(error)".contains("ipset")) }
    }

    @Test func preflightRefusesNonRootAndNamesMissingTools() {
        #expect(throws: BenchError.self) { try BenchRunner.preflight([.nftables], euid: 1000, exists: { _ in true }) }
        do {
            try BenchRunner.preflight([.nftables, .iptables], euid: 0, exists: { $0 != "nft" && $0 != "ipset" })
            Issue.record("accepted missing tools")
        } catch {
            #expect("\(error)".contains("nft"))
            #expect("\(error)".contains("ipset"))
        }
        #expect(throws: Never.self) { try BenchRunner.preflight([.nftables, .iptables], euid: 0, exists: { _ in true }) }
    }
}
