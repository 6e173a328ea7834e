import TestCluster
import Foundation

/// Runs nft inside a throwaway network namespace that is always deleted afterwards.
struct NftNamespace {
    let name: String

    /// False (tests skip) unless root with `nft` and `ip` available.
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    }

    /// Creates a namespace, runs `body`, deletes the namespace even when `body` throws.
    static func with<T>(_ body: (NftNamespace) throws -> T) throws -> T {
        let ns = NftNamespace(name: "sy-nfttest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        _ = try run(["/usr/sbin/ip", "netns", "add", ns.name])
        defer { _ = try? run(["/usr/sbin/ip", "netns", "del", ns.name]) }
        return try body(ns)
    }

    /// `nft -f -` (or `nft -c -f -` with `check`) inside the namespace; returns (status, stderr).
    func nft(script: String, check: Bool = false) throws -> (Int32, String) {
        let args = ["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/nft"] + (check ? ["-c"] : []) + ["-f", "-"]
        let r = try Self.run(args, stdin: script)
        return (r.status, r.err)
    }

    /// `nft ARGS…` inside the namespace; returns stdout.
    func nft(_ args: String...) throws -> String {
        try Self.run(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/nft"] + args).out
    }

    struct Result { var status: Int32; var out: String; var err: String }

    @discardableResult
    static func run(_ args: [String], stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = outPipe
        try p.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readAllRetryingInterrupts()
        p.waitUntilExit()
        let text = String(decoding: out, as: UTF8.self)
        return Result(status: p.terminationStatus, out: text, err: text)
    }
}
