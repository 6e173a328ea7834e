import Foundation
import Testing
@testable import RenderNftables

/// The affinity chain's rule text against a real kernel with real packets (a local connection
/// in a throwaway namespace, through a nat output hook): a position-map miss skips the rule, a
/// hit DNATs and records the client.
@Suite("nftables affinity rules on a real kernel", .serialized, .enabled(if: NftNamespace.available))
struct NftAffinityKernelTests {
    @Test func aPositionMapMissFallsThroughAndAHitRecordsTheClient() throws {
        try NftNamespace.with { ns in
            for args in [["link", "set", "lo", "up"], ["addr", "add", "10.96.0.1/32", "dev", "lo"]] {
                #expect(try NftNamespace.run(["/usr/sbin/ip", "-n", ns.name] + args).status == 0)
            }
            let chain = NftAffinityChain(path: .cip, count: 1, timeout: 60)
            var script = "add table ip switchyard\n"
            for (s, isMap) in NftAffinityChain.declarations([chain], family: .ip) {
                script += NftTransaction(commands: [.addSet(.ip, s, isMap: isMap)]).text
            }
            script += "add chain ip switchyard out { type nat hook output priority -100; policy accept; }\n"
            for r in chain.rules(family: .ip, clusterMasquerade: .none) { script += "add rule ip switchyard out \(r.text)\n" }
            script += "add rule ip switchyard out ip daddr 10.96.0.1 tcp dport 80 counter\n"
            // A recent entry for a position without an endpoint: both rules miss the map.
            script += "add element ip switchyard aff_addr_0 { 10.96.0.1 . 10.96.0.1 . tcp . 80 timeout 60s }\n"
            let r = try ns.nft(script: script)
            try #require(r.0 == 0, "\(r.1)")
            func connect() throws { _ = try NftNamespace.run(["/usr/sbin/ip", "netns", "exec", ns.name, "timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/10.96.0.1/80"]) }
            func counted() throws -> Int {
                let line = try ns.nft("list", "chain", "ip", "switchyard", "out").split(separator: "\n").first { $0.contains("counter packets") }
                return Int(line?.split(separator: " ").drop { $0 != "packets" }.dropFirst().first ?? "") ?? -1
            }
            try connect()
            #expect(try counted() == 1, "a miss falls through every rule")
            _ = try ns.nft("add", "element", "ip", "switchyard", "cipaff_eps_0", "{ 10.96.0.1 . tcp . 80 : 127.0.0.1 . 9 }")
            _ = try ns.nft("flush", "set", "ip", "switchyard", "aff_addr_0")
            try connect()
            #expect(try counted() == 1, "a hit DNATs: the packet never reaches the last rule")
            #expect(try ns.nft("list", "set", "ip", "switchyard", "aff_addr_0").contains("10.96.0.1 . 10.96.0.1 . tcp . 80"),
                    "the pick recorded the client")
            // A recent client's entry is refreshed to the chain's timeout (60 s) on each new connection.
            _ = try ns.nft("flush", "set", "ip", "switchyard", "aff_addr_0")
            _ = try ns.nft("add", "element", "ip", "switchyard", "aff_addr_0", "{ 10.96.0.1 . 10.96.0.1 . tcp . 80 timeout 5s }")
            try connect()
            let listing = try ns.nft("list", "set", "ip", "switchyard", "aff_addr_0")
            let expires = listing.components(separatedBy: "expires ").dropFirst().first.map { String($0.prefix { $0 != " " && $0 != "\n" && $0 != "}" }) }
            #expect(expires.map { $0.contains("m") || (Int($0.split(separator: "s")[0]) ?? 0) > 5 } ?? false,
                    "refreshed beyond the 5 s it was added with: \(listing)")
            #expect(try counted() == 1)
        }
    }
}
