import Diff
import Apply
import Foundation
import Model
import Render
import RenderIPVS
import SwitchyardCore
import Synthetic
import Testing
@testable import Bench

/// The IPVS kernel floor's tool input (`IPVSToolText` through `BackendRun`): every line is one the
/// stock tools take — `ip -batch`, `ipvsadm -R` (checked here against ipvsadm's option grammar),
/// `ipset restore` — and it holds exactly the plan. The tools themselves run on it in the UML test
/// (`BenchUMLTests`, `kernel_floor_cold_s`) and, for `ip -batch` and `ipset restore`, below in a
/// throwaway namespace.
@Suite struct IPVSFloorPartsTests {
    static let run = BackendRun(backend: .ipvs, lockFile: "/nonexistent/xtables.lock")

    /// One `ipvsadm` line in the grammar `ipvsadm -R` parses; returns its command and selector, or
    /// nil with the reason in `why`.
    static func parseIpvsadm(_ line: Substring, why: inout String) -> (cmd: String, selector: String)? {
        let t = line.split(separator: " ").map(String.init)
        guard let cmd = t.first, ["-A", "-E", "-D", "-a", "-e", "-d"].contains(cmd) else { why = "command"; return nil }
        guard t.count >= 3, ["-t", "-u", "--sctp-service"].contains(t[1]), hostPort(t[2]) else { why = "selector"; return nil }
        var i = 3, forwarding = 0, scheduler = false, real = false
        while i < t.count {
            let opt = t[i], arg = i + 1 < t.count ? t[i + 1] : nil
            switch opt {
            case "-s" where cmd == "-A" || cmd == "-E":
                guard let a = arg, ["rr", "wrr", "lc", "wlc", "sh", "mh", "sed", "nq"].contains(a) else { why = "scheduler"; return nil }
                scheduler = true; i += 2
            case "-p" where cmd == "-A" || cmd == "-E":
                guard let a = arg, UInt32(a) != nil else { why = "persistence"; return nil }
                i += 2
            case "-b" where cmd == "-A" || cmd == "-E":
                guard let a = arg, a.split(separator: ",").allSatisfy({ ["sh-fallback", "sh-port", "mh-fallback", "mh-port"].contains($0) })
                else { why = "sched flags"; return nil }
                i += 2
            case "-r" where cmd.first == "-" && cmd.last!.isLowercase:
                guard let a = arg, hostPort(a) else { why = "real server"; return nil }
                real = true; i += 2
            case "-m", "-g", "-i": forwarding += 1; i += 1
            case "-w" where cmd == "-a" || cmd == "-e":
                guard let a = arg, let w = Int(a), (0...65535).contains(w) else { why = "weight"; return nil }
                i += 2
            default: why = "option \(opt)"; return nil
            }
        }
        switch cmd {
        case "-A", "-E": guard scheduler, !real, forwarding == 0 else { why = "service options"; return nil }
        case "-D": guard t.count == 3 else { why = "-D takes a selector only"; return nil }
        // -a / -e need the forwarding method (without it ipvsadm -e switches to direct routing).
        case "-a", "-e": guard real, forwarding == 1 else { why = "real server options"; return nil }
        default: guard real, forwarding == 0, t.count == 5 else { why = "-d takes -r only"; return nil }
        }
        return (cmd, t[2])
    }

    /// `10.96.0.1:80` or `[fd00::1]:80`.
    static func hostPort(_ s: String) -> Bool {
        guard let colon = s.lastIndex(of: ":"), let port = UInt16(s[s.index(after: colon)...]), port > 0 else { return false }
        var host = String(s[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]") else { return false }
            host = String(host.dropFirst().dropLast())
            return IPAddress(host)?.family == .ipv6
        }
        return IPAddress(host)?.family == .ipv4
    }

    @Test func fullPartsAreThePlanInEachToolsSyntax() throws {
        let (_, state) = BenchPartsTests.state(services: 40)
        let plan = IPVSRenderer().plan(state)
        let parts = try Self.run.fullParts(state, netns: "unused")
        #expect(parts.map(\.command).prefix(3) == ["ip -batch", "ipset restore", "ipvsadm -R"])
        #expect(parts.dropFirst(3).allSatisfy { $0.command.hasSuffix("tables-restore --noflush") })
        #expect(Set(parts.map(\.name)).count == parts.count)

        // ip -batch: the dummy interface first, then one local route (IPv4) or host address (IPv6)
        // per plan address.
        let ipLines = parts[0].text.split(separator: "\n")
        #expect(ipLines.first == "link add \(IPVSPlan.dummyInterface) type dummy")
        var addresses = Set<IPAddress>()
        for line in ipLines.dropFirst() {
            let t = line.split(separator: " ")
            let dev = Substring(IPVSPlan.dummyInterface)
            let cidrText: Substring
            if t.first == "route" {
                #expect(t.count == 10 && t[1] == "add" && t[2] == "local" && t[4] == "dev" && t[5] == dev
                        && t[6...] == ["table", "local", "proto", "\(IPVSPlan.routeProtocol)"], "\(line)")
                cidrText = t[3]
            } else {
                #expect(t.count == 5 && t[0] == "address" && t[1] == "add" && t[3] == "dev" && t[4] == dev, "\(line)")
                cidrText = t[2]
            }
            let cidr = cidrText.split(separator: "/")
            let a = try #require(IPAddress(String(cidr[0])), "\(line)")
            #expect(cidr.count == 2 && cidr[1] == (a.family == .ipv4 ? "32" : "128"), "\(line)")
            #expect((t[0] == "route") == (a.family == .ipv4), "\(line)")
            addresses.insert(a)
        }
        #expect(addresses == plan.addresses && ipLines.count == plan.addresses.count + 1)

        // ipvsadm -R: no comments, every line parses, every -a follows the -A of its service.
        var declared = Set<String>(), destinations = 0
        for line in parts[2].text.split(separator: "\n") {
            var why = ""
            let parsed = Self.parseIpvsadm(line, why: &why)
            #expect(parsed != nil, "\(line): \(why)")
            guard let (cmd, selector) = parsed else { continue }
            if cmd == "-A" { #expect(declared.insert(selector).inserted, "\(line)") } else {
                #expect(cmd == "-a" && declared.contains(selector), "\(line)"); destinations += 1
            }
        }
        #expect(declared.count == plan.virtualServers.count)
        #expect(destinations == plan.virtualServers.values.reduce(0) { $0 + $1.destinations.count } && destinations > 0)
        // IPv6 selectors in brackets, one per IPv6 virtual server; UDP services as -u.
        #expect(declared.filter { $0.hasPrefix("[") }.count == plan.virtualServers.keys.filter { $0.family == .ipv6 }.count)
        #expect(parts[2].text.contains("-A -u "))

        // ipset restore: creates, then members of created sets.
        var sets = Set<Substring>()
        for line in parts[1].text.split(separator: "\n") {
            let t = line.split(separator: " ")
            if t[0] == "create" { sets.insert(t[1]) } else { #expect(t.count == 3 && t[0] == "add" && sets.contains(t[1]), "\(line)") }
        }
        #expect(sets.count == plan.ipsets.count)
    }

    @Test func endpointChangeDeltaIsIpvsadmAndIpsetLinesThatTheFullLoadMakesValid() throws {
        let (cluster, state) = BenchPartsTests.state(services: 40)
        var tracker = ProxyStateTracker(config: BenchCluster(origin: .synthetic(cluster)).nodeConfig)
        _ = tracker.apply(cluster.objects().map { .upsert($0) })
        _ = tracker.commit()
        var churn = ChurnGenerator(cluster: cluster, kind: .endpointChange, seed: 9)
        var record = FloorRecord()
        var declared = Set<String>()
        for line in IPVSRenderer().plan(state).sortedVirtualServers { declared.insert(line.key.ipvsadmSelector.split(separator: " ")[1].description) }
        var ipvsadmLines = 0
        for _ in 0..<5 {
            _ = tracker.apply(churn.nextChange())
            let ch = tracker.commit()
            let diff = StateDiff.between(old: ch.previous, new: ch.state, services: ch.changedServices, nodeChanged: ch.nodeChanged)
            let parts = Self.run.incrementalParts(diff, state: ch.state, record: &record)
            #expect(!parts.isEmpty)
            #expect(parts.allSatisfy { ["ipvsadm -R", "ipset restore"].contains($0.command) }, "\(parts.map(\.command))")
            for part in parts where part.command == "ipvsadm -R" {
                for line in part.text.split(separator: "\n") {
                    var why = ""
                    let parsed = Self.parseIpvsadm(line, why: &why)
                    #expect(parsed != nil, "\(line): \(why)")
                    guard let (cmd, selector) = parsed else { continue }
                    // Real-server changes of existing services only.
                    #expect(["-a", "-e", "-d"].contains(cmd) && declared.contains(selector), "\(line)")
                    ipvsadmLines += 1
                }
            }
            for part in parts where part.command == "ipset restore" {
                for line in part.text.split(separator: "\n") {
                    #expect(line.hasPrefix("add ") || line.hasPrefix("del "), "\(line)")
                }
            }
        }
        #expect(ipvsadmLines > 0)
    }

    @Test func aDrainingRealServerAddedAgainIsReweightedAsTheApplierDoes() {
        let vip = IPAddress("10.96.0.10")!, pod = IPAddress("10.244.1.5")!
        let key = RenderIPVS.IPVSServiceKey.inet(proto: .tcp, address: vip, port: 80)
        let d = IPVSDestination(address: pod, port: 8080)
        var drained = d
        drained.weight = 0
        var record = FloorRecord()
        let first = IPVSToolText.delta(record.ipvsFloorOperations([.updateDestination(service: key, destination: drained, pendingDelete: true)]))
        #expect(first.map(\.text) == ["-e -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 0\n"])
        let again = IPVSToolText.delta(record.ipvsFloorOperations([.addDestination(service: key, destination: d)]))
        #expect(again.map(\.text) == ["-e -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1\n"])
        // No longer draining: a later add is an add.
        let third = IPVSToolText.delta(record.ipvsFloorOperations([.deleteDestination(service: key, destination: d.key),
                                                                   .addDestination(service: key, destination: d)]))
        #expect(third.map(\.text) == ["-d -t 10.96.0.10:80 -r 10.244.1.5:8080\n-a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1\n"])
        // A deleted service forgets its draining real servers.
        _ = record.ipvsFloorOperations([.updateDestination(service: key, destination: drained, pendingDelete: true), .deleteService(key)])
        #expect(record.ipvsDraining.isEmpty)
    }

    @Test func deltaKeepsTheOrderAcrossTools() {
        let vip = IPAddress("fd00:10:96::a")!
        let key = RenderIPVS.IPVSServiceKey.inet(proto: .sctp, address: vip, port: 9)
        let parts = IPVSToolText.delta([
            .addAddress(vip), .addService(IPVSService(key: key, scheduler: "rr")),
            .addDestination(service: key, destination: IPVSDestination(address: IPAddress("fd00:10:244::5")!, port: 9)),
            .deleteAddress(IPAddress("10.96.0.9")!),
        ])
        #expect(parts.map(\.command) == ["ip -batch", "ipvsadm -R", "ip -batch"])
        #expect(Set(parts.map(\.name)).count == 3)
        #expect(parts[0].text == "address add fd00:10:96::a/128 dev switchyard-ipvs\n")
        #expect(parts[1].text == "-A --sctp-service [fd00:10:96::a]:9 -s rr\n-a --sctp-service [fd00:10:96::a]:9 -r [fd00:10:244::5]:9 -m -w 1\n")
        #expect(parts[2].text == "route del local 10.96.0.9/32 dev switchyard-ipvs table local proto 83\n")
    }
}

extension BenchSerialTests {
    /// `ip -batch` and `ipset restore` take the floor's text in a throwaway namespace on this host
    /// (its kernel has no IPVS: `ipvsadm -R` runs in the UML test; and no dummy links, so the
    /// interface is made a bridge here — the address and route lines go to `ip -batch` unchanged).
    @Suite(.enabled(if: geteuid() == 0 && ToolProcess.exists("ip") && ToolProcess.exists("ipset")))
    struct IPVSFloorToolsTests {
        @Test func ipBatchAndIpsetRestoreAcceptTheFullParts() async throws {
            let (_, state) = BenchPartsTests.state(services: 40)
            let plan = IPVSRenderer().plan(state)
            var parts = try IPVSFloorPartsTests.run.fullParts(state, netns: "unused").filter { ["ip -batch", "ipset restore"].contains($0.command) }
            #expect(parts.count == 2)
            let dummy = "link add \(IPVSPlan.dummyInterface) type dummy\n"
            #expect(parts[0].text.hasPrefix(dummy))
            parts[0].text = "link add \(IPVSPlan.dummyInterface) type bridge\n" + parts[0].text.dropFirst(dummy.count)
            let namespaces = BenchNamespaces()
            defer { namespaces.deleteAll() }
            try await namespaces.with("ipvsfloor") { ns in
                let seconds = try IPVSFloorPartsTests.run.feed(parts, netns: ns)
                #expect(seconds > 0)
                let shown = try ToolProcess.run(["ip", "netns", "exec", ns, "ip", "-o", "address", "show", "dev", IPVSPlan.dummyInterface])
                #expect(shown.status == 0)
                let routes = try ToolProcess.run(["ip", "netns", "exec", ns, "ip", "-4", "route", "show", "table", "local",
                                                  "dev", IPVSPlan.dummyInterface, "proto", "\(IPVSPlan.routeProtocol)"])
                #expect(routes.status == 0)
                #expect(shown.stdout.split(separator: "\n").count == plan.addresses.count { $0.family == .ipv6 })
                #expect(routes.stdout.split(separator: "\n").count == plan.addresses.count { $0.family == .ipv4 })
                let sets = try ToolProcess.run(["ip", "netns", "exec", ns, "ipset", "list", "-n"])
                #expect(Set(sets.stdout.split(separator: "\n").map(String.init)) == Set(plan.ipsets.keys))
                // A second feed of the same text fails loudly (the tools reject duplicates): errors are not swallowed.
                #expect(throws: BenchError.self) { try IPVSFloorPartsTests.run.feed([parts[0]], netns: ns) }
            }
            #expect(namespaces.leftovers().isEmpty)
        }
    }
}
