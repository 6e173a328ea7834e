import Apply
import Diff
import Foundation
import Model
@testable import RenderNftables
import SwitchyardCore
import Testing
@testable import ApplyNftables

/// `NftRuleCodec`: typed rules encoded as nf_tables netlink expressions — byte for byte
/// what nft 1.0.6 sends for the same text, listed by the kernel exactly like nft-loaded rules, and
/// used by the applier (full-sync batch, affinity deltas without an nft process).
@Suite("nftables rule codec", .serialized)
struct NftRuleCodecTests {
    typealias F = ApplyFixtures

    static func rule(_ f: NftFamily, _ e: [NftExpr]) -> NftRule { NftRule(NftRuleBody(family: f, e)) }
    static let addr4: [NftField] = [.saddr, .daddr, .l4proto, .dport]
    static let np: [NftField] = [.saddr, .l4proto, .dport]

    /// Rules in typed form with the text nft was given in the capture below.
    static let samples: [(NftRule, String)] = [
        (rule(.ip, [.lookup([.saddr], set: "pod_cidrs", inverted: true), .markBits(0x4000)]),
         "ip saddr != @pod_cidrs meta mark set meta mark | 0x00004000"),
        (rule(.ip, [.markBits(0x4000)]), "meta mark set meta mark | 0x00004000"),
        (rule(.ip, [.numgen(modulus: 2, equals: 0), .update(set: "aff_addr_48", key: addr4, timeoutSeconds: 10800),
                    .l4proto(.tcp), .dnat(IPAddress("10.244.1.5")!, port: 8080)]),
         "numgen random mod 2 0 update @aff_addr_48 { ip saddr . ip daddr . meta l4proto . th dport timeout 10800s } meta l4proto tcp dnat ip to 10.244.1.5:8080"),
        (rule(.ip, [.update(set: "aff_np_48", key: np, timeoutSeconds: 10800), .l4proto(.udp), .dnat(IPAddress("10.244.2.7")!, port: 53)]),
         "update @aff_np_48 { ip saddr . meta l4proto . th dport timeout 10800s } meta l4proto udp dnat ip to 10.244.2.7:53"),
        (rule(.ip, [.numgen(modulus: 3, equals: 1), .update(set: "affep", key: [.saddr], timeoutSeconds: nil),
                    .l4proto(.sctp), .dnat(IPAddress("10.244.2.7")!, port: 53)]),
         "numgen random mod 3 1 update @affep { ip saddr } meta l4proto sctp dnat ip to 10.244.2.7:53"),
        (rule(.ip6, [.lookup(addr4, set: "aff_addr_46", inverted: false), .l4proto(.tcp), .dnat(IPAddress("fd00:10:244:1::5")!, port: 8080)]),
         "ip6 saddr . ip6 daddr . meta l4proto . th dport @aff_addr_46 meta l4proto tcp dnat ip6 to [fd00:10:244:1::5]:8080"),
        (rule(.ip6, [.update(set: "aff_np_46", key: np, timeoutSeconds: 60), .l4proto(.tcp), .dnat(IPAddress("fd00:10:244:2::7")!, port: 8080)]),
         "update @aff_np_46 { ip6 saddr . meta l4proto . th dport timeout 60s } meta l4proto tcp dnat ip6 to [fd00:10:244:2::7]:8080"),
    ]

    /// NFTA_RULE_EXPRESSIONS of each sample as nft 1.0.6 sent it (`strace -e write=3` of
    /// `nft -f`, the same rules as `nft --debug=netlink` printed), with the NFTA_LOOKUP_SET_ID /
    /// NFTA_DYNSET_SET_ID attributes removed: they name sets of nft's own transaction, ours exist.
    static let nftBytes: [String] = [
            "340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000c08000400"
            + "00000004340001800b0001006c6f6f6b757000002400028008000200000000010e000100706f645f6369647273000000"
            + "080005000000000124000180090001006d6574610000000014000280080002000000000308000100000000014c000180"
            + "0c00010062697477697365003c0002800800010000000001080002000000000108000600000000000800030000000004"
            + "0c00048008000100ffbfffff0c000580080001000040000024000180090001006d657461000000001400028008000200"
            + "000000030800030000000001",
            "24000180090001006d6574610000000014000280080002000000000308000100000000014c0001800c00010062697477"
            + "697365003c00028008000100000000010800020000000001080006000000000008000300000000040c00048008000100"
            + "ffbfffff0c000580080001000040000024000180090001006d6574610000000014000280080002000000000308000300"
            + "00000001",
            "340001800b0001006e756d67656e00002400028008000100000000010800020000000002080003000000000108000400"
            + "000000002c00018008000100636d700020000280080001000000000108000200000000000c0003800800010000000000"
            + "340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000c08000400"
            + "00000004340001800c0001007061796c6f61640024000280080001000000000908000200000000010800030000000010"
            + "080004000000000424000180090001006d65746100000000140002800800020000000010080001000000000a34000180"
            + "0c0001007061796c6f61640024000280080001000000000b080002000000000208000300000000020800040000000002"
            + "400001800b00010064796e736574000030000280080004000000000108000300000000010c0006000000000000a4cb80"
            + "100001006166665f616464725f34380024000180090001006d6574610000000014000280080002000000001008000100"
            + "000000012c00018008000100636d700020000280080001000000000108000200000000000c0003800500010006000000"
            + "2c0001800e000100696d6d6564696174650000001800028008000100000000010c000280080001000af401052c000180"
            + "0e000100696d6d6564696174650000001800028008000100000000020c000280060001001f9000003800018008000100"
            + "6e6174002c00028008000100000000010800020000000002080003000000000108000500000000020800070000000002",
            "340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000c08000400"
            + "0000000424000180090001006d657461000000001400028008000200000000100800010000000009340001800c000100"
            + "7061796c6f61640024000280080001000000000a08000200000000020800030000000002080004000000000240000180"
            + "0b00010064796e736574000030000280080004000000000108000300000000010c0006000000000000a4cb800e000100"
            + "6166665f6e705f343800000024000180090001006d657461000000001400028008000200000000100800010000000001"
            + "2c00018008000100636d700020000280080001000000000108000200000000000c00038005000100110000002c000180"
            + "0e000100696d6d6564696174650000001800028008000100000000010c000280080001000af402072c0001800e000100"
            + "696d6d6564696174650000001800028008000100000000020c000280060001000035000038000180080001006e617400"
            + "2c00028008000100000000010800020000000002080003000000000108000500000000020800070000000002",
            "340001800b0001006e756d67656e00002400028008000100000000010800020000000003080003000000000108000400"
            + "000000002c00018008000100636d700020000280080001000000000108000200000000000c0003800800010001000000"
            + "340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000c08000400"
            + "00000004300001800b00010064796e736574000020000280080004000000000108000300000000010a00010061666665"
            + "7000000024000180090001006d6574610000000014000280080002000000001008000100000000012c00018008000100"
            + "636d700020000280080001000000000108000200000000000c00038005000100840000002c0001800e000100696d6d65"
            + "64696174650000001800028008000100000000010c000280080001000af402072c0001800e000100696d6d6564696174"
            + "650000001800028008000100000000020c000280060001000035000038000180080001006e6174002c00028008000100"
            + "000000010800020000000002080003000000000108000500000000020800070000000002",
            "340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000808000400"
            + "00000010340001800c0001007061796c6f61640024000280080001000000000208000200000000010800030000000018"
            + "080004000000001024000180090001006d65746100000000140002800800020000000010080001000000000334000180"
            + "0c0001007061796c6f616400240002800800010000000011080002000000000208000300000000020800040000000002"
            + "2c0001800b0001006c6f6f6b757000001c0002800800020000000001100001006166665f616464725f34360024000180"
            + "090001006d6574610000000014000280080002000000001008000100000000012c00018008000100636d700020000280"
            + "080001000000000108000200000000000c0003800500010006000000380001800e000100696d6d656469617465000000"
            + "2400028008000100000000011800028014000100fd0000100244000100000000000000052c0001800e000100696d6d65"
            + "64696174650000001800028008000100000000020c000280060001001f90000038000180080001006e6174002c000280"
            + "0800010000000001080002000000000a080003000000000108000500000000020800070000000002",
            "340001800c0001007061796c6f6164002400028008000100000000010800020000000001080003000000000808000400"
            + "0000001024000180090001006d657461000000001400028008000200000000100800010000000002340001800c000100"
            + "7061796c6f61640024000280080001000000000d08000200000000020800030000000002080004000000000240000180"
            + "0b00010064796e736574000030000280080004000000000108000300000000010c000600000000000000ea600e000100"
            + "6166665f6e705f343600000024000180090001006d657461000000001400028008000200000000100800010000000001"
            + "2c00018008000100636d700020000280080001000000000108000200000000000c000380050001000600000038000180"
            + "0e000100696d6d6564696174650000002400028008000100000000011800028014000100fd0000100244000200000000"
            + "000000072c0001800e000100696d6d6564696174650000001800028008000100000000020c000280060001001f900000"
            + "38000180080001006e6174002c0002800800010000000001080002000000000a08000300000000010800050000000002"
            + "0800070000000002"
    ]

    @Test func typedRulesHaveTheTextNftWasGiven() {
        for (r, text) in Self.samples { #expect(r.text == text) }
        #expect(NftExpr.hex8(NftRules.markBitValue) == NftNames.markBit)
    }

    @Test func encodingMatchesNftBytes() throws {
        for ((r, text), want) in zip(Self.samples, Self.nftBytes) {
            let f = r.body!.family
            let m = try #require(NftRuleCodec.newRuleMessage(family: f, table: "sw", chain: "c", rule: r, seq: 1))
            #expect(NftNetlink.u16(m, 4) == 0x0a06, "NFT_MSG_NEWRULE")
            #expect(m[16] == (f == .ip ? 2 : 10))
            let exprs = try #require(Self.attributes(m, from: 20)[4])
            #expect(Self.hex(exprs) == want, "\(text)")
        }
    }

    @Test func ruleWithoutTypedFormIsNotEncoded() {
        let text = NftRule("ip daddr . meta l4proto . th dport @cip_2 goto cip-2")
        #expect(NftRuleCodec.newRuleMessage(family: .ip, table: "sw", chain: "c", rule: text, seq: 1) == nil)
        // A family mismatch is refused too.
        #expect(NftRuleCodec.newRuleMessage(family: .ip6, table: "sw", chain: "c", rule: Self.samples[0].0, seq: 1) == nil)
        var t = NftTransaction()
        t.commands = [.addChain(.ip, NftChain("aff-x")), .addRule(.ip, chain: "aff-x", Self.samples[0].0)]
        #expect(NftNetlink.encode(t, firstSeq: 1, setExists: { _, _ in false }) != nil)
        t.commands.append(.addRule(.ip, chain: "aff-x", text))
        #expect(NftNetlink.encode(t, firstSeq: 1, setExists: { _, _ in false }) == nil, "goes to nft whole")
        // `add set` sends nothing for a set that exists; a new affinity set is encoded, any other needs nft.
        let set = NftSet("aff-x-y", spec: "type ipv4_addr", flags: ["dynamic", "timeout"], timeoutSeconds: 60)
        t.commands = [.addSet(.ip, set, isMap: false)]
        #expect(NftNetlink.encode(t, firstSeq: 1, setExists: { _, _ in true })?.messages.isEmpty == true)
        #expect(NftNetlink.encode(t, firstSeq: 1, setExists: { _, _ in false })?.messages.count == 1)
        t.commands = [.deleteSet(.ip, "aff-x-y", isMap: false), .addSet(.ip, set, isMap: false)]
        #expect(NftNetlink.encode(t, firstSeq: 1, setExists: { _, _ in true })?.messages.count == 2, "re-created")
        t.commands = [.addSet(.ip, NftSet("cip_3", spec: "type ipv4_addr . inet_proto . inet_service"), isMap: false)]
        #expect(NftNetlink.encode(t, firstSeq: 1, setExists: { _, _ in false }) == nil)
        t.commands = [.addSet(.ip6, set, isMap: false)]
        #expect(NftNetlink.encode(t, firstSeq: 1, setExists: { _, _ in false }) == nil, "v4 key in the v6 table")
    }

    /// NEWSET as nft 1.0.6 sent it for the same declarations (`strace`), NFTA_SET_ID (nft's own numbering) removed.
    @Test func setEncodingMatchesNftBytes() throws {
        let cases: [(NftFamily, NftSet, String)] = [
            (.ip, NftSet("aff_addr_5", spec: "type ipv4_addr . ipv4_addr . inet_proto . inet_service", flags: ["dynamic", "timeout"], size: 1_048_576),
             "07000100737700000f0002006166665f616464725f350000080003000000003008000400001c730d0800050000000010"
             + "0c000980080001000010000014000d00000400000000030800040d0000000100"),
            (.ip, NftSet("aff_np_5", spec: "type ipv4_addr . inet_proto . inet_service", flags: ["dynamic", "timeout"], size: 1_048_576),
             "07000100737700000d0002006166665f6e705f35000000000800030000000030080004000000730d080005000000000c"
             + "0c000980080001000010000014000d00000400000000030800040d0000000100"),
            (.ip, NftSet("aff-x-y", spec: "type ipv4_addr", flags: ["dynamic", "timeout"], timeoutSeconds: 60),
             "07000100737700000c0002006166662d782d790008000300000000300800040000000007080005000000000"
             + "40c000b00000000000000ea600a000d000004020000000000"),
            (.ip6, NftSet("aff_addr_5", spec: "type ipv6_addr . ipv6_addr . inet_proto . inet_service", flags: ["dynamic", "timeout"], size: 1_048_576),
             "07000100737700000f0002006166665f616464725f3500000800030000000030080004000020830d0800050000000028"
             + "0c000980080001000010000014000d00000400000000030800040d0000000100"),
            (.ip6, NftSet("aff-x-y", spec: "type ipv6_addr", flags: ["dynamic", "timeout"], timeoutSeconds: 10800),
             "07000100737700000c0002006166662d782d790008000300000000300800040000000008080005000000001"
             + "00c000b000000000000a4cb800a000d000004020000000000"),
        ]
        for (f, set, want) in cases {
            let m = try #require(NftSetCodec.newSetMessage(family: f, table: "sw", set: set, seq: 1))
            #expect(NftNetlink.u16(m, 4) == 0x0a09 && NftNetlink.u16(m, 6) & 0x400 != 0, "NEWSET, NLM_F_CREATE")
            #expect(Self.attributes(m, from: 20)[10] == [0, 0, 0, 1], "NFTA_SET_ID: the sequence number")
            #expect(Self.hex(Self.removing(10, from: Array(m[20...]))) == want, "\(set.name)")
        }
    }

    // MARK: real kernel

    /// Affinity ports: v4 TCP (NodePort), UDP, SCTP with many endpoints (some share a slot: own
    /// per-endpoint sets keyed by client), v6 TCP (NodePort).
    static var stickyPorts: [ServicePort] {
        func sticky(_ n: Int, _ fam: IPFamily, _ proto: L4Protocol, _ eps: [Endpoint], nodePort: UInt16? = nil) -> ServicePort {
            ServicePort(key: F.key("sticky-\(n)", fam, proto), clusterIP: F.ip(fam == .ipv4 ? "10.96.0.\(n)" : "fd00:10:96::\(n)"),
                        port: 80, nodePort: nodePort, affinityTimeout: UInt32(60 * n), clusterEndpoints: eps,
                        internalTraffic: .forward(.cluster), externalTraffic: .forward(.cluster))
        }
        return F.base + [
            sticky(20, .ipv4, .tcp, [F.ep("10.244.1.5", 8080), F.ep("10.244.2.7", 8080)], nodePort: 30020),
            sticky(21, .ipv4, .udp, (1...3).map { F.ep("10.244.3.\($0)", 53) }),
            sticky(22, .ipv4, .sctp, (1...24).map { F.ep("10.244.4.\($0)", 9000) }),
            sticky(23, .ipv6, .tcp, [F.ep("fd00:10:244:1::5", 8080), F.ep("fd00:10:244:2::7", 8080)], nodePort: 30023),
        ]
    }

    static func state(_ ports: [ServicePort]) -> ProxyState { F.state(ports) }

    /// An `nft` that counts its runs (in a file next to it), then runs the real one.
    struct CountingNft {
        let dir: String
        init() throws {
            dir = "/tmp/sy-nftcount-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try "#!/bin/sh\necho run >> \(dir)/count\nexec /usr/sbin/nft \"$@\"\n".write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
            try Self.waitUntilExecutable(path)
        }

        /// A process another test forks while this file is being written inherits the writing
        /// descriptor until it execs, and exec of the file then fails with ETXTBSY ("Text file
        /// busy"). Runs `path --version` until it starts (the runs are counted before the test's
        /// own `before` is taken).
        static func waitUntilExecutable(_ path: String) throws {
            for attempt in 1...50 {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: path)
                p.arguments = ["--version"]
                p.standardOutput = FileHandle.nullDevice
                do {
                    try p.run()
                    p.waitUntilExit()
                    return
                } catch where attempt < 50 {
                    usleep(20_000)
                }
            }
        }
        var path: String { dir + "/nft" }
        var runs: Int { ((try? String(contentsOfFile: dir + "/count", encoding: .utf8)) ?? "").split(separator: "\n").count }
        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Once its (path, count, timeout) chain exists, an affinity endpoint change is element deltas
    /// only (one netlink batch, no nft process) after which the kernel holds what the applier's
    /// renderer renders in full (same endpoint positions); a new count adds a chain through one nft run.
    @Test(.enabled(if: TestNamespace.available))
    func affinityEndpointChangeGoesThroughNetlinkOnly() async throws {
        let old = Self.state(Self.stickyPorts)
        var ports = Self.stickyPorts
        ports[ports.count - 4].clusterEndpoints[1] = F.ep("10.244.2.8", 8080)
        ports[ports.count - 2].clusterEndpoints.removeFirst(3)
        ports[ports.count - 2].clusterEndpoints += (30...32).map { F.ep("10.244.4.\($0)", 9000) }
        ports[ports.count - 1].clusterEndpoints = [F.ep("fd00:10:244:1::5", 8080), F.ep("fd00:10:244:3::9", 8080)]
        let new = Self.state(ports)
        ports[ports.count - 3].clusterEndpoints.removeLast()
        let newer = Self.state(ports)
        let nft = try CountingNft()
        defer { nft.remove() }
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(nftPath: nft.path, netns: ns.name)
            _ = try await applier.applyFull(old)
            let before = nft.runs
            #expect(before > 0)
            let r = try await applier.applyIncremental(StateDiff.full(old: old, new: new), state: new)
            #expect(!r.full && r.rulesWritten == 0 && r.elementsWritten > 0)
            #expect(nft.runs == before, "no nft process for an affinity endpoint change")
            try await Self.expectSame(ns, await applier.renderer.renderFull(new).text)
            let r2 = try await applier.applyIncremental(StateDiff.full(old: new, new: newer), state: newer)
            #expect(!r2.full && r2.rulesWritten > 0 && nft.runs == before + 1, "a new count: one nft run")
            // (The emptied count-3 chain stays until a full sync, so compare only the new chain.)
            #expect(try ns.nft("list", "chain", "ip", "switchyard", "cipaff-2-1260").check().out.contains("numgen random mod 2 0 update @aff_addr_0"))
        }
    }

    /// `ns` lists like a fresh namespace that loaded `script`.
    static func expectSame(_ ns: TestNamespace, _ script: String) async throws {
        let have = try NftFullLoadTests.tables(ns)
        try await TestNamespace.with { fresh in
            try fresh.nft(script: script).check()
            let want = try NftFullLoadTests.tables(fresh)
            #expect(have == want, "extra: \(have.filter { !want.contains($0) }), missing: \(want.filter { !have.contains($0) })")
        }
    }

    @Test(.enabled(if: TestNamespace.available))
    func deltaWithAnUntypedRuleGoesToNft() async throws {
        let old = Self.state(Self.stickyPorts)
        // A first port with 9 endpoints: a new shared chain `cip-9`, whose DNAT rule is text only.
        let new = Self.state(Self.stickyPorts + [F.web(9, (1...9).map { F.ep("10.244.9.\($0)", 80) })])
        let nft = try CountingNft()
        defer { nft.remove() }
        try await TestNamespace.with { ns in
            let applier = NftablesApplier(nftPath: nft.path, netns: ns.name)
            _ = try await applier.applyFull(old)
            let before = nft.runs
            _ = try await applier.applyIncremental(StateDiff.full(old: old, new: new), state: new)
            #expect(nft.runs == before + 1)
            #expect(try ns.nft("list", "chain", "ip", "switchyard", "cip-9").check().out.contains("numgen random mod 9"))
        }
    }

    /// A refused batch is atomic: nothing of it stays, and the error names the script line.
    @Test(.enabled(if: TestNamespace.available))
    func refusedRuleBatchLeavesNothing() async throws {
        try await TestNamespace.with { ns in
            try ns.nft(script: "add table ip sw\nadd set ip sw pod_cidrs { type ipv4_addr; flags interval; }\n").check()
            let nl = try NftNetlink(netns: ns.name)
            var t = NftTransaction(table: "sw")
            t.commands = [.addChain(.ip, NftChain("aff-a")), .addRule(.ip, chain: "aff-a", Self.samples[0].0),
                          .addRule(.ip, chain: "aff-a", Self.samples[2].0),   // its set aff_addr_48 does not exist
                          .addRule(.ip, chain: "aff-a", Self.samples[1].0)]   // only the last asks for an ack
            let first = nl.reserve(0)
            let e = try #require(NftNetlink.encode(t, firstSeq: first, setExists: { _, _ in true }))
            nl.skip(past: first &+ UInt32(e.messages.count))
            let error = #expect(throws: NftNetlink.Refusal.self) { try nl.commit(e.messages, firstSeq: first) }
            #expect(error?.index == 2 && e.lines[2] == 2)
            #expect(!(try ns.nft("list", "table", "ip", "sw").check().out.contains("aff-a")))
        }
    }

    static func attributes(_ b: [UInt8], from: Int) -> [UInt16: [UInt8]] {
        var out: [UInt16: [UInt8]] = [:]
        var o = from
        while o + 4 <= b.count {
            let len = Int(NftNetlink.u16(b, o)), type = NftNetlink.u16(b, o + 2) & 0x7fff
            guard len >= 4, o + len <= b.count else { break }
            out[type] = Array(b[(o + 4)..<(o + len)])
            o += (len + 3) & ~3
        }
        return out
    }

    /// `attrs` without the top-level attributes of `type`.
    static func removing(_ type: UInt16, from b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], o = 0
        while o + 4 <= b.count {
            let len = Int(NftNetlink.u16(b, o)), end = min(b.count, o + ((len + 3) & ~3))
            guard len >= 4 else { break }
            if NftNetlink.u16(b, o + 2) & 0x7fff != type { out += b[o..<end] }
            o = end
        }
        return out
    }

    static func hex(_ b: [UInt8]) -> String {
        let d = Array("0123456789abcdef")
        return String(b.flatMap { [d[Int($0 >> 4)], d[Int($0 & 0xf)]] })
    }
}
