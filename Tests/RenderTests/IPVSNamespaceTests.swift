import TestCluster
import Foundation
import RenderIPVS
import SwitchyardCore
import Testing

/// Runs commands inside a throwaway network namespace, deleted even when the body throws.
enum IPVSNetns {
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ipset")
    }

    @discardableResult
    static func run(_ args: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readAllRetryingInterrupts()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func with<T>(_ body: (String) throws -> T) throws -> T {
        let name = "sy-ipvs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let made = try run(["ip", "netns", "add", name])
        try #require(made.status == 0, "ip netns add: \(made.output)")
        defer { _ = try? run(["ip", "netns", "delete", name]) }
        return try body(name)
    }
}

@Suite(.serialized) struct IPVSNamespaceTests {
    let plan = IPVSRenderer().plan(IPVSFixtures.goldenState())

    @Test(.enabled(if: IPVSNetns.available))
    func ipsetRestoreAcceptsTheSets() throws {
        try IPVSNetns.with { ns in
            let r = try IPVSNetns.run(["ip", "netns", "exec", ns, "ipset", "restore"], stdin: plan.ipsetRestoreText)
            #expect(r.status == 0, "\(r.output)")
            let list = try IPVSNetns.run(["ip", "netns", "exec", ns, "ipset", "list", "-n"])
            #expect(Set(list.output.split(separator: "\n").map(String.init)) == Set(plan.ipsets.keys))
            let members = try IPVSNetns.run(["ip", "netns", "exec", ns, "ipset", "list", "SWITCHYARD-LB-SRC-CIDR"])
            #expect(members.output.contains("198.51.100.20,tcp:443,203.0.113.0/24"))
        }
    }

    @Test(.enabled(if: IPVSNetns.available))
    func iptablesRestoreTestAcceptsTheRules() throws {
        try IPVSNetns.with { ns in
            let sets = try IPVSNetns.run(["ip", "netns", "exec", ns, "ipset", "restore"], stdin: plan.ipsetRestoreText)
            try #require(sets.status == 0, "\(sets.output)")
            for (family, tool) in [(IPFamily.ipv4, "iptables-restore"), (.ipv6, "ip6tables-restore")] {
                let rules = try #require(plan.iptables[family])
                let standalone = try IPVSNetns.run(["ip", "netns", "exec", ns, tool, "--test"], stdin: rules.standaloneText)
                #expect(standalone.status == 0, "\(tool): \(standalone.output)")
                let noflush = try IPVSNetns.run(["ip", "netns", "exec", ns, tool, "--noflush", "--test"], stdin: rules.restoreText)
                #expect(noflush.status == 0, "\(tool) --noflush: \(noflush.output)")
            }
        }
    }

    @Test(.enabled(if: IPVSNetns.available))
    func setOperationsApplyWithIpsetCommands() throws {
        // The create/add/del/destroy operations map to ipset commands the real tool accepts.
        let a = IPVSRenderer().plan(IPVSFixtures.goldenState())
        try IPVSNetns.with { ns in
            var script = ""
            for op in IPVSPlan.operations(from: nil, to: a) + IPVSPlan.operations(from: a, to: IPVSPlan()) {
                switch op {
                case .createSet(let s): script += s.createLine + "\n"
                case .addSetMember(let n, let m): script += "add \(n) \(m)\n"
                case .deleteSetMember(let n, let m): script += "del \(n) \(m)\n"
                case .destroySet(let n): script += "destroy \(n)\n"
                default: break
                }
            }
            let r = try IPVSNetns.run(["ip", "netns", "exec", ns, "ipset", "restore"], stdin: script)
            #expect(r.status == 0, "\(r.output)")
            let list = try IPVSNetns.run(["ip", "netns", "exec", ns, "ipset", "list", "-n"])
            #expect(list.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
    }
}
