import TestCluster
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway network namespace for running iptables-restore / ipset for real.
/// Never touches the host namespace: every command runs under `ip netns exec`.
struct IptNamespace {
    let name: String

    static var available: Bool {
        #if os(Linux)
        return getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables-restore")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ipset")
        #else
        return false
        #endif
    }

    struct Result { var status: Int32; var out: String; var err: String }

    /// Runs `body` in a fresh namespace that is deleted afterwards, whatever happens.
    static func with<T>(_ body: (IptNamespace) throws -> T) throws -> T {
        let ns = IptNamespace(name: "sy-ipt-\(UInt32.random(in: 0...UInt32.max))")
        let r = host("ip netns add \(ns.name)")
        guard r.status == 0 else { throw Failure(message: "ip netns add: \(r.err)") }
        defer { _ = host("ip netns del \(ns.name)") }
        return try body(ns)
    }

    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// Runs a shell command inside the namespace, with `input` on stdin.
    func run(_ command: String, input: String? = nil) -> Result {
        IptNamespace.host("ip netns exec \(name) \(command)", input: input)
    }

    /// Runs and throws with stderr on a non-zero exit.
    @discardableResult
    func must(_ command: String, input: String? = nil) throws -> String {
        let r = run(command, input: input)
        guard r.status == 0 else {
            throw Failure(message: "\(command) failed (\(r.status)): \(r.err)\n--- input ---\n\((input ?? "").prefix(4000))")
        }
        return r.out
    }

    /// Runs a command on the host (used only for `ip netns add/del`).
    static func host(_ command: String, input: String? = nil) -> Result {
        do {
            let r = try ProcessRunner.run(["/bin/sh", "-c", command], input: input ?? "")
            return Result(status: r.status, out: r.stdout, err: r.stderr)
        } catch {
            return Result(status: -1, out: "", err: "\(error)")
        }
    }
}
