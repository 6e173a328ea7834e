import Foundation
import KubeProxyCleanup
import TestCluster
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway network namespace for the cleanup tests; deleted afterwards whatever happens.
/// Never touches the host's namespace: every command runs under `ip netns exec`.
struct CleanupNamespace {
    let name: String
    let runner: CommandRunner

    static var available: Bool {
        #if os(Linux)
        return getuid() == 0 && CommandRunner().run(["ip", "-V"]).succeeded
        #else
        return false
        #endif
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func with<T>(_ body: (CleanupNamespace) throws -> T) throws -> T {
        let name = "sy-kpc-\(UInt32.random(in: 0...UInt32.max))"
        let host = CommandRunner()
        let add = host.run(["ip", "netns", "add", name])
        guard add.succeeded else { throw Failure(description: "ip netns add: \(add.error)") }
        defer { _ = host.run(["ip", "netns", "del", name]) }
        return try body(CleanupNamespace(name: name, runner: .inNamespace(name)))
    }

    /// Runs a command in the namespace and throws on failure.
    @discardableResult
    func must(_ args: [String], input: String = "") throws -> String {
        let r = runner.run(args, input: input)
        guard r.succeeded else { throw Failure(description: "\(args.joined(separator: " ")) → \(r.status): \(r.error)") }
        return r.output
    }

    /// `switchyard cleanup --kube-proxy …` inside the namespace.
    func cleanup(_ extra: [String] = []) throws -> CommandRunner.Result {
        let exe = try SwitchyardExecutable.locate()
        return runner.run([exe, "cleanup", "--kube-proxy"] + extra)
    }

    /// A fixture file's text.
    static func fixture(_ name: String) throws -> String {
        let url = try require_(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil), name)
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The structure of a dump, for comparing before/after: per table, its chains and each chain's rules.
    static func structure(_ save: String) -> [String: [String: [String]]] {
        var out: [String: [String: [String]]] = [:]
        for table in IptablesSave(parsing: save).tables {
            var chains: [String: [String]] = [:]
            for chain in table.chains { chains[chain] = [] }
            for rule in table.rules { chains[rule.chain, default: []].append(rule.spec) }
            out[table.name] = chains
        }
        return out
    }
}

/// `#require` for non-test contexts.
func require_<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw CleanupNamespace.Failure(description: "missing \(what)") }
    return value
}
