import Glibc
import SwitchyardCore

/// The user-space tools and files the IPVS applier uses besides netlink:
/// `iptables-save`/`iptables-restore` and sysctls. `ProcessHostTools` is the real one (inside a
/// named namespace: spawned from, or run on, a thread that `setns`ed there); tests use a fake.
public protocol IPVSHostTools: Sendable {
    /// `iptables-save` (ip6tables for IPv6): every table's text by table name.
    func iptablesSave(_ family: IPFamily) throws -> [String: String]
    /// `iptables-restore --noflush -w` with `text`.
    func iptablesRestore(_ family: IPFamily, _ text: String) throws
    /// False only when `family` provably holds no chain of ours, so no `iptables-save` is needed to
    /// find our chains or jumps (iptables-legacy: neither the nat nor the filter table exists in the
    /// namespace, as `/proc/net/ip_tables_names` shows). True when unknown.
    func mayHoldChains(_ family: IPFamily) throws -> Bool
    /// A sysctl's value (`net/ipv4/vs/conntrack`), nil when it does not exist.
    func readSysctl(_ path: String) throws -> String?
    func writeSysctl(_ path: String, _ value: String) throws
    /// Writes each sysctl whose current value differs (missing ones are skipped); returns the paths
    /// written. One call, so the real tools enter the namespace once.
    func ensureSysctls(_ values: [(String, String)]) throws -> [String]
}

extension IPVSHostTools {
    public func mayHoldChains(_ family: IPFamily) throws -> Bool { true }

    public func ensureSysctls(_ values: [(String, String)]) throws -> [String] {
        var written: [String] = []
        for (path, value) in values {
            guard let current = try readSysctl(path), current != value else { continue }
            try writeSysctl(path, value)
            written.append(path)
        }
        return written
    }
}

/// Failure of a host tool, with its output.
public struct HostToolError: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var output: String
    public var description: String { "\(command) exited \(status): \(output)" }
}

/// The real tools. `iptables` names the IPv4 binary family (`iptables` or `iptables-legacy`; the
/// IPv6 one is derived, `-save`/`-restore` appended).
public struct ProcessHostTools: IPVSHostTools {
    public var netns: String?
    public var iptables: String

    public init(netns: String?, iptables: String = "iptables") {
        self.netns = netns; self.iptables = iptables
    }

    /// Runs a tool inside `netns`: spawned from a thread that entered the namespace, so the child
    /// starts there (cheaper than `ip netns exec`, which also remounts /sys; these tools need only
    /// netlink and raw sockets).
    private func run(_ args: [String], input: String = "") throws -> String {
        let r = try NamespaceThread.run(netns: netns) { try HostProcess.run(args, input: input) }
        guard r.status == 0 else { throw HostToolError(command: args.joined(separator: " "), status: r.status, output: r.output) }
        return r.output
    }

    private func tool(_ f: IPFamily, _ suffix: String) -> String {
        let base = f == .ipv4 || !iptables.hasPrefix("iptables") ? iptables : "ip6tables" + iptables.dropFirst(8)
        return base + suffix
    }

    public func iptablesSave(_ family: IPFamily) throws -> [String: String] {
        IPVSIptablesSync.splitTables(try run([tool(family, "-save")]))
    }
    public func iptablesRestore(_ family: IPFamily, _ text: String) throws {
        _ = try run([tool(family, "-restore"), "--noflush", "-w"], input: text)
    }

    /// iptables-legacy lists the tables instantiated in the namespace in `/proc/net/ip_tables_names`
    /// (`ip6_tables_names`); `iptables-legacy-save` dumps only those, and our chains live in nat and
    /// filter. The nf_tables variants keep no such list: unknown, so true.
    public func mayHoldChains(_ family: IPFamily) throws -> Bool {
        guard iptables.hasSuffix("-legacy") else { return true }
        // thread-self: this thread entered the namespace, the process did not.
        let file = family == .ipv4 ? "/proc/thread-self/net/ip_tables_names" : "/proc/thread-self/net/ip6_tables_names"
        guard let names = try NamespaceThread.run(netns: netns, { Self.read(file, sysctl: false) }) else { return true }
        let tables = names.split(separator: "\n")
        return tables.contains("nat") || tables.contains("filter")
    }

    public func readSysctl(_ path: String) throws -> String? {
        try NamespaceThread.run(netns: netns) { Self.read(path) }
    }

    public func writeSysctl(_ path: String, _ value: String) throws {
        try NamespaceThread.run(netns: netns) { try Self.write(path, value) }
    }

    /// Every read and write on one thread inside the namespace (a thread costs a host process in UML).
    public func ensureSysctls(_ values: [(String, String)]) throws -> [String] {
        try NamespaceThread.run(netns: netns) {
            var written: [String] = []
            for (path, value) in values {
                guard let current = Self.read(path), current != value else { continue }
                try Self.write(path, value)
                written.append(path)
            }
            return written
        }
    }

    /// A sysctl (`net/ipv4/vs/conntrack`), or with `sysctl: false` any file by absolute path; at most 4 KiB.
    private static func read(_ path: String, sysctl: Bool = true) -> String? {
        guard let f = fopen(sysctl ? "/proc/sys/\(path)" : path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buffer, 1, 4095, f)
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingNewline
    }

    private static func write(_ path: String, _ value: String) throws {
        guard let f = fopen("/proc/sys/\(path)", "w") else {
            throw HostToolError(command: "write /proc/sys/\(path)", status: errno, output: String(cString: strerror(errno)))
        }
        defer { fclose(f) }
        guard fputs(value + "\n", f) >= 0, fflush(f) == 0 else {
            throw HostToolError(command: "write /proc/sys/\(path)", status: errno, output: String(cString: strerror(errno)))
        }
    }
}

extension String {
    var trimmingNewline: String {
        var s = self
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }
}
