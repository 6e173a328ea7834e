import Glibc
@testable import ApplyIPVS

/// The applier tests' helpers for the User-Mode Linux guest that `scripts/test-ipvs` boots (the gate
/// itself is `UMLKernel`, shared with IPVSNetlinkTests).
enum UMLGuest {
    static var hasIPVS: Bool { UMLKernel.hasIPVS }

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

    static func read(_ path: String) -> String? { UMLKernel.read(path) }

    static func integer(_ name: String, default value: Int) -> Int { UMLKernel.integer(name, default: value) }
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
