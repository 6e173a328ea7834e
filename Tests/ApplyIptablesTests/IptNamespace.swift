import TestCluster
import Foundation
import SwitchyardCore

/// A throwaway network namespace (`ip netns add sy-iptapply-…`), always deleted afterwards.
///
/// The applier is given its name (`IptablesApplier(netns:)`) and runs every tool as
/// `ip netns exec NAME …`; the test process never leaves the host namespace. ipsets, iptables
/// tables (legacy and nf_tables) are per namespace, so the host's are never touched.
struct IptNamespace {
    let name: String

    /// False (tests skip) unless root with the iptables tools, ipset and ip available.
    static var available: Bool {
        let fm = FileManager.default
        return getuid() == 0 && ["/usr/sbin/ip", "/usr/sbin/ipset", "/usr/sbin/iptables-nft-restore",
                                 "/usr/sbin/iptables-legacy-restore"].allSatisfy { fm.isExecutableFile(atPath: $0) }
    }

    /// Creates a namespace, runs `body`, deletes the namespace even when `body` throws.
    static func with<T>(_ body: (IptNamespace) async throws -> T) async throws -> T {
        let ns = IptNamespace(name: "sy-iptapply-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try run(["/usr/sbin/ip", "netns", "add", ns.name]).check()
        defer { _ = try? run(["/usr/sbin/ip", "netns", "del", ns.name]) }
        return try await body(ns)
    }

    /// `ARGS…` inside the namespace.
    @discardableResult
    func exec(_ args: [String], stdin: String = "") throws -> Result {
        try Self.run(["/usr/sbin/ip", "netns", "exec", name] + args, stdin: stdin)
    }

    /// nat and filter `iptables-save` (or ip6tables-save) output of `variant` ("nft" / "legacy").
    func save(_ variant: String, _ family: IPFamily) throws -> String {
        let tool = (family == .ipv4 ? "iptables" : "ip6tables") + "-\(variant)-save"
        return try exec([tool, "-t", "nat"]).check().out + exec([tool, "-t", "filter"]).check().out
    }

    /// The sorted members of an ipset, or nil when it does not exist.
    func ipsetMembers(_ set: String) throws -> [String]? {
        let r = try exec(["ipset", "list", set])
        guard r.status == 0 else { return nil }
        guard let m = r.out.range(of: "Members:\n") else { return [] }
        return r.out[m.upperBound...].split(separator: "\n").map(String.init).sorted()
    }

    struct Result {
        var status: Int32; var out: String
        @discardableResult func check() throws -> Result {
            guard status == 0 else { throw Failure(text: out) }
            return self
        }
    }
    struct Failure: Error { var text: String }

    static func run(_ args: [String], stdin: String = "") throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = outPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readAllRetryingInterrupts()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, out: String(decoding: out, as: UTF8.self))
    }
}

/// `iptables-save` text reduced to what Switchyard owns, comparable across two namespaces.
enum SavedView {
    /// Chains whose rule order carries no meaning (one independent rule per address/port):
    /// partial syncs append to them, full syncs write them in port order.
    static let unordered: Set<String> = ["nat SWITCHYARD-DISPATCH", "nat SWITCHYARD-NODEPORTS", "filter SWITCHYARD-SERVICES",
                                         "filter SWITCHYARD-CLUSTER-IPS"]

    /// Per "table chain": our chains' rules (counters dropped), plus each built-in chain's jumps into ours.
    static func ours(_ save: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        var table = ""
        for raw in save.split(separator: "\n") {
            let line = String(raw)
            if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
            if line.hasPrefix(":SWITCHYARD-") {
                let chain = String(line.dropFirst().split(separator: " ")[0])
                out["\(table) \(chain)", default: []] += []
            } else if line.hasPrefix("-A ") {
                let chain = String(line.split(separator: " ")[1])
                if chain.hasPrefix("SWITCHYARD-") || line.contains("-j SWITCHYARD-") {
                    out["\(table) \(chain)", default: []].append(line)
                }
            }
        }
        for k in out.keys where unordered.contains(k) { out[k]!.sort() }
        return out
    }
}
