import IPVSNetlink
import Testing
import SwitchyardCore
@testable import ApplyIPVS

/// An in-memory IPVS kernel with the errnos the real one answers (EEXIST, ESRCH, ENOENT).
final class FakeIPVSKernel: IPVSKernel, @unchecked Sendable {
    var serviceTable: [IPVSNetlink.IPVSServiceKey: IPVSNetlink.IPVSService] = [:]
    var destinations: [IPVSNetlink.IPVSServiceKey: [IPAddress: [UInt16: IPVSDestinationEntry]]] = [:]
    var links: [String: Int32] = ["eth0": 2]
    var linkAddresses: [Int32: Set<IPAddress>] = [2: [IPAddress("192.0.2.10")!]]
    var executed: [IPVSCommand] = []
    var serviceDumps = 0
    var destinationDumps = 0

    func services() throws -> [IPVSNetlink.IPVSService] { serviceDumps += 1; return Array(serviceTable.values) }

    func destinations(of key: IPVSNetlink.IPVSServiceKey) throws -> [IPVSDestinationEntry] {
        destinationDumps += 1
        guard serviceTable[key] != nil else { throw NetlinkError.kernel(errno: 3, message: nil) }
        return destinations[key]?.values.flatMap(\.values) ?? []
    }

    /// Offer the bulk destination view (like /proc/net/ip_vs) instead of per-service dumps.
    var bulk = false
    /// Services the bulk view leaves out (a record lost to a concurrent change).
    var bulkOmits: Set<IPVSNetlink.IPVSServiceKey> = []
    func allDestinations() throws -> [IPVSNetlink.IPVSServiceKey: [IPVSDestinationEntry]]? {
        guard bulk else { return nil }
        var out: [IPVSNetlink.IPVSServiceKey: [IPVSDestinationEntry]] = [:]
        for k in serviceTable.keys where !bulkOmits.contains(k) { out[k] = destinations[k]?.values.flatMap(\.values) ?? [] }
        return out
    }

    func execute(_ commands: [IPVSCommand]) throws -> [IPVSCommandFailure] {
        var failures: [IPVSCommandFailure] = []
        for (i, c) in commands.enumerated() {
            executed.append(c)
            if let e = apply(c) { failures.append(IPVSCommandFailure(index: i, command: c, errno: e)) }
        }
        return failures
    }

    private func apply(_ c: IPVSCommand) -> Int32? {
        switch c {
        case .newService(let s):
            if serviceTable[s.key] != nil { return 17 }
            serviceTable[s.key] = s
        case .setService(let s):
            guard serviceTable[s.key] != nil else { return 3 }
            serviceTable[s.key] = s
        case .deleteService(let k):
            guard serviceTable.removeValue(forKey: k) != nil else { return 3 }
            destinations[k] = nil
        case .newDestination(let k, let d):
            guard serviceTable[k] != nil else { return 3 }
            if destinations[k]?[d.address]?[d.port] != nil { return 17 }
            destinations[k, default: [:]][d.address, default: [:]][d.port] = IPVSDestinationEntry(destination: d)
        case .setDestination(let k, let d):
            guard serviceTable[k] != nil else { return 3 }
            guard var e = destinations[k]?[d.address]?[d.port] else { return 2 }
            e.destination = d
            destinations[k]![d.address]![d.port] = e
        case .deleteDestination(let k, let d):
            guard serviceTable[k] != nil else { return 3 }
            guard destinations[k]?[d.address]?[d.port] != nil else { return 2 }
            destinations[k]![d.address]![d.port] = nil
        case .setConfig: break
        case .flush: serviceTable = [:]; destinations = [:]
        }
        return nil
    }

    /// The kernel as plain values: service → (destination key → weight).
    var table: [IPVSNetlink.IPVSServiceKey: [String: Int32]] {
        var out: [IPVSNetlink.IPVSServiceKey: [String: Int32]] = [:]
        for k in serviceTable.keys {
            var ds: [String: Int32] = [:]
            for e in destinations[k]?.values.flatMap(\.values) ?? [] { ds["\(e.destination.address):\(e.destination.port)"] = e.destination.weight }
            out[k] = ds
        }
        return out
    }

    func setConnections(_ key: IPVSNetlink.IPVSServiceKey, _ address: IPAddress, _ port: UInt16, active: UInt32, inactive: UInt32 = 0) {
        destinations[key]?[address]?[port]?.activeConnections = active
        destinations[key]?[address]?[port]?.inactiveConnections = inactive
    }

    // ipsets: name → (spec as created, members); a reference count stands in for iptables rules.
    var sets: [String: (spec: IPSetSpec, members: Set<IPSetElement>)] = [:]
    var ipsetBatches: [[IPSetCommand]] = []
    var ipsetLists = 0

    func ipsets(named names: Set<String>) throws -> [String: IPSetListing] {
        ipsetLists += 1
        var out: [String: IPSetListing] = [:]
        for (n, s) in sets where names.contains(n) {
            out[n] = IPSetListing(name: n, typeName: s.spec.typeName, familyNumber: s.spec.familyNumber, members: Array(s.members))
        }
        return out
    }
    func ipsetNames() throws -> [String] { Array(sets.keys) }
    func executeIPSet(_ commands: [IPSetCommand]) throws -> [IPSetCommandFailure] {
        ipsetBatches.append(commands)
        var failures: [IPSetCommandFailure] = []
        for (i, c) in commands.enumerated() {
            switch c {
            case .create(let spec):
                if let have = sets[spec.name], have.spec.typeName != spec.typeName { failures.append(.init(index: i, command: c, errno: 4103)) }
                else if sets[spec.name] == nil { sets[spec.name] = (spec, []) }
            case .destroy(let n): sets[n] = nil
            case .flush(let n): sets[n]?.members = []
            case let .swap(a, b):
                let x = sets[a]?.members ?? [], y = sets[b]?.members ?? []
                sets[a]?.members = y
                sets[b]?.members = x
            case let .add(n, es):
                guard sets[n] != nil else { failures.append(.init(index: i, command: c, errno: 2)); continue }
                sets[n]!.members.formUnion(es)
            case let .delete(n, es):
                guard sets[n] != nil else { failures.append(.init(index: i, command: c, errno: 2)); continue }
                sets[n]!.members.subtract(es)
            }
        }
        return failures
    }

    /// A set's members as `ipset` would print them.
    func members(_ name: String) -> Set<String> { Set(sets[name]?.members.map(\.description) ?? []) }

    func linkIndex(named name: String) throws -> Int32? { links[name] }
    func ensureDummyLink(named name: String) throws -> Int32 {
        if let i = links[name] { return i }
        let i = Int32(links.count + 10)
        links[name] = i
        return i
    }
    func deleteLink(named name: String) throws {
        guard let i = links.removeValue(forKey: name) else { throw NetlinkError.kernel(errno: 19, message: nil) }
        linkAddresses[i] = nil
    }
    func addresses(ofLinkIndex index: Int32) throws -> [IPAddress] { Array(linkAddresses[index] ?? []) }
    func localAddresses(excludingLinkIndex index: Int32?) throws -> [IPAddress] {
        linkAddresses.filter { $0.key != index }.flatMap(\.value)
    }
    func addAddresses(_ addresses: [IPAddress], toLinkIndex index: Int32) throws -> [NetlinkOperationFailure] {
        var out: [NetlinkOperationFailure] = []
        for (i, a) in addresses.enumerated() where !linkAddresses[index, default: []].insert(a).inserted {
            out.append(NetlinkOperationFailure(index: i, errno: 17))
        }
        return out
    }
    func deleteAddresses(_ addresses: [IPAddress], fromLinkIndex index: Int32) throws -> [NetlinkOperationFailure] {
        var out: [NetlinkOperationFailure] = []
        for (i, a) in addresses.enumerated() where linkAddresses[index]?.remove(a) == nil {
            out.append(NetlinkOperationFailure(index: i, errno: 99))
        }
        return out
    }
}

/// Records tool input and keeps a tiny model of iptables chains/jumps and sysctls.
final class FakeHostTools: IPVSHostTools, @unchecked Sendable {
    var restores: [(IPFamily, String)] = []
    /// Rules per family, table, chain (`-A CHAIN …` lines as iptables-save prints them).
    var rules: [IPFamily: [String: [String: [String]]]] = [:]
    var sysctls: [String: String] = ["net/ipv4/vs/conntrack": "0", "net/ipv4/vs/expire_nodest_conn": "0",
                                     "net/ipv4/vs/expire_quiescent_template": "0", "net/ipv4/ip_forward": "1"]
    var sysctlWrites: [String] = []

    /// When true, a family with no tables in `rules` says it holds no chains (like iptables-legacy's
    /// table list); otherwise the fake, like the nf_tables tools, cannot tell.
    var knowsTables = false
    func mayHoldChains(_ family: IPFamily) throws -> Bool {
        !knowsTables || !(rules[family]?.isEmpty ?? true)
    }

    var saves = 0
    func iptablesSave(_ family: IPFamily) throws -> [String: String] {
        saves += 1
        var out: [String: String] = [:]
        for (table, chains) in rules[family] ?? [:] {
            var text = "*\(table)\n"
            for c in chains.keys.sorted() { text += ":\(c) - [0:0]\n" }
            for c in chains.keys.sorted() { for r in chains[c]! { text += "-A \(c) \(r)\n" } }
            out[table] = text + "COMMIT\n"
        }
        return out
    }

    func iptablesRestore(_ family: IPFamily, _ text: String) throws {
        restores.append((family, text))
        var table = ""
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
            if line.hasPrefix(":") { rules[family, default: [:]][table, default: [:]][String(line.dropFirst().prefix { $0 != " " })] = []; continue }
            let w = line.split(separator: " ", maxSplits: 2).map(String.init)
            switch w.first {
            case "-A": rules[family, default: [:]][table, default: [:]][w[1], default: []].append(w[2])
            case "-I":
                let rest = w[2].split(separator: " ", maxSplits: 1).map(String.init)
                let pos = Int(rest[0])! - 1
                var list = rules[family]?[table]?[w[1]] ?? []
                list.insert(rest[1], at: min(pos, list.count))
                rules[family, default: [:]][table, default: [:]][w[1]] = list
            case "-D": rules[family]?[table]?[w[1]]?.removeAll { $0 == w[2] }
            case "-F": rules[family]?[table]?[w[1]] = []
            case "-X": rules[family]?[table]?[w[1]] = nil
            default: break
            }
        }
    }

    func readSysctl(_ path: String) throws -> String? { sysctls[path] }
    func writeSysctl(_ path: String, _ value: String) throws { sysctls[path] = value; sysctlWrites.append(path) }

    func count(_ family: IPFamily, _ table: String, _ chain: String, target: String) -> Int {
        rules[family]?[table]?[chain]?.filter { $0.hasSuffix("-j \(target)") }.count ?? 0
    }
}

/// A manual clock for grace periods.
final class ManualClock: @unchecked Sendable {
    var now = ContinuousClock.now
    func advance(_ d: Duration) { now += d }
}
