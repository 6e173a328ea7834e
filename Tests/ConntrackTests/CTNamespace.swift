import Foundation

/// A throwaway network namespace (`ip netns add sy-ct-…`), always deleted afterwards.
///
/// The cleaner under test is given the namespace's name (`ConntrackCleaner(netns:)`) and opens
/// its socket from a thread that entered it; entries are made and listed with the `conntrack`
/// CLI under `ip netns exec`. The host namespace is never touched.
struct CTNamespace {
    let name: String

    /// False (tests skip) unless root with `ip` and `conntrack` available.
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            && FileManager.default.isExecutableFile(atPath: conntrackPath)
    }
    static let conntrackPath = "/usr/sbin/conntrack"

    static func with<T>(_ body: (CTNamespace) throws -> T) throws -> T {
        let ns = CTNamespace(name: "sy-ct-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try run(["/usr/sbin/ip", "netns", "add", ns.name]).check()
        defer { _ = try? run(["/usr/sbin/ip", "netns", "del", ns.name]) }
        return try body(ns)
    }

    /// `conntrack ARGS…` inside the namespace.
    @discardableResult
    func conntrack(_ args: [String]) throws -> Result {
        try Self.run(["/usr/sbin/ip", "netns", "exec", name, Self.conntrackPath] + args)
    }

    /// Inserts an entry `src:sport → dst:dport` whose reply comes from `replySrc:replySport`.
    func insert(proto: String = "udp", src: String, sport: UInt16, dst: String, dport: UInt16,
                replySrc: String, replySport: UInt16, zone: UInt16? = nil) throws {
        var args = ["-I", "-p", proto, "-s", src, "-d", dst, "--sport", "\(sport)", "--dport", "\(dport)",
                    "-r", replySrc, "-q", src, "--reply-port-src", "\(replySport)", "--reply-port-dst", "\(sport)", "-t", "300"]
        if proto == "tcp" { args += ["--state", "ESTABLISHED"] }
        if let zone { args += ["-w", "\(zone)"] }
        try conntrack(args).check()
    }

    /// The original source ports of every entry left in the table (tests give each entry its own).
    func sourcePorts() throws -> Set<UInt16> {
        var out = Set<UInt16>()
        for family in ["ipv4", "ipv6"] {
            let text = try conntrack(["-L", "-f", family]).check().out
            for line in text.split(separator: "\n") {
                guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("sport=") }),
                      let port = UInt16(field.dropFirst(6)) else { continue }
                out.insert(port)
            }
        }
        return out
    }

    struct Result {
        var status: Int32; var out: String
        @discardableResult func check() throws -> Result {
            guard status == 0 else { throw Failure(text: out) }
            return self
        }
    }
    struct Failure: Error { var text: String }

    static func run(_ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        let outPipe = Pipe()
        p.standardOutput = outPipe; p.standardError = outPipe
        try p.run()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, out: String(decoding: out, as: UTF8.self))
    }
}
