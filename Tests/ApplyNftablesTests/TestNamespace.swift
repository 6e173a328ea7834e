import TestCluster
import Foundation

/// A throwaway network namespace (`ip netns add sy-nftapply-…`), always deleted afterwards.
///
/// How tests enter it: the applier is given the namespace's name (`NftablesApplier(netns:)`);
/// it runs `nft` as `ip netns exec NAME nft -f -` and opens its netlink socket from a short-lived
/// thread that first `setns()`s into `/run/netns/NAME` (a socket stays in the namespace it was
/// created in). The test process itself never leaves the host namespace, and nothing touches it.
struct TestNamespace {
    let name: String

    /// False (tests skip) unless root with `nft` and `ip` available.
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    }

    /// Creates a namespace, runs `body`, deletes the namespace even when `body` throws.
    static func with<T>(_ body: (TestNamespace) async throws -> T) async throws -> T {
        let ns = TestNamespace(name: "sy-nftapply-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try run(["/usr/sbin/ip", "netns", "add", ns.name]).check()
        do {
            let r = try await body(ns)
            _ = try? run(["/usr/sbin/ip", "netns", "del", ns.name])
            return r
        } catch {
            _ = try? run(["/usr/sbin/ip", "netns", "del", ns.name])
            throw error
        }
    }

    /// `nft ARGS…` inside the namespace.
    @discardableResult
    func nft(_ args: String...) throws -> Result { try Self.run(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/nft"] + args) }

    /// `nft -f -` inside the namespace with `script` on stdin.
    @discardableResult
    func nft(script: String) throws -> Result {
        try Self.run(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/nft", "-f", "-"], stdin: script)
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
