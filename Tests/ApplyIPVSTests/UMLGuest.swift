import Glibc
@testable import ApplyIPVS

/// Gate and helpers for tests that program a real IPVS kernel: only inside the User-Mode Linux guest
/// that `scripts/test-ipvs` boots (SWITCHYARD_IN_UML=1, a UML kernel, ip_vs loaded), never on the host.
enum UMLGuest {
    static var hasIPVS: Bool {
        guard let flag = getenv("SWITCHYARD_IN_UML"), String(cString: flag) == "1" else { return false }
        return (read("/proc/cpuinfo")?.contains("UML") ?? false) && read("/proc/net/ip_vs") != nil
    }

    /// iptables variant usable in the guest (nft's NAT chain type is not available there).
    static let iptables = "iptables-legacy"

    struct CommandFailed: Error, CustomStringConvertible { var description: String }

    /// Runs a shell script, inside `netns` when given; throws with its output when it fails.
    @discardableResult
    static func sh(_ netns: String?, _ script: String) throws -> String {
        let argv = (netns.map { ["ip", "netns", "exec", $0] } ?? []) + ["sh", "-ec", script]
        let r = try HostProcess.run(argv)
        guard r.status == 0 else { throw CommandFailed(description: "\(script) → \(r.status): \(r.output)") }
        return r.output
    }

    private nonisolated(unsafe) static var counter = 0

    /// Creates throwaway namespaces (`sy-ipvs-PID-N-suffix`), runs `body`, deletes them even when it throws.
    static func withNamespaces<T>(_ suffixes: [String], _ body: ([String]) async throws -> T) async throws -> T {
        counter += 1
        let names = suffixes.map { "sy-ipvs-\(getpid())-\(counter)-\($0)" }
        defer { for n in names { _ = try? HostProcess.run(["ip", "netns", "del", n]) } }
        for n in names {
            try sh(nil, "ip netns add \(n)")
            try sh(n, "ip link set lo up")
        }
        return try await body(names)
    }

    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func integer(_ name: String, default value: Int) -> Int {
        guard let raw = getenv(name), let v = Int(String(cString: raw)) else { return value }
        return v
    }
}

extension String {
    /// How many times `needle` occurs (non-overlapping).
    func occurrences(of needle: String) -> Int {
        var n = 0
        var rest = self[...]
        while let i = rest.firstRange(of: needle) { n += 1; rest = rest[i.upperBound...] }
        return n
    }
}
