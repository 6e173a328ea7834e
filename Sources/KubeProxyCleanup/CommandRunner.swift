import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the system tools a cleanup drives (`iptables-save`, `iptables-restore`, `nft`, `ipset`, `ip`),
/// found on PATH. `prefix` is put before every command: `["ip", "netns", "exec", NAME]` runs them in a
/// network namespace instead of the caller's.
///
/// Uses posix_spawnp + waitpid, not Foundation's Process: Process learns of exits through a CFSocket
/// wake-up pair made over 127.0.0.1, which fails (and the wait then hangs) in a namespace whose
/// loopback is down — exactly where a test or a fresh node may run this.
public struct CommandRunner: Sendable {
    /// The outcome of one command. `status` 127 means the tool is not installed.
    public struct Result: Sendable, Equatable {
        public var status: Int32
        public var output: String
        public var error: String
        public var succeeded: Bool { status == 0 }
    }

    public var prefix: [String]

    public init(prefix: [String] = []) { self.prefix = prefix }

    /// A runner whose commands run inside the named network namespace.
    public static func inNamespace(_ name: String) -> CommandRunner { CommandRunner(prefix: ["ip", "netns", "exec", name]) }

    /// True when `prefix` is empty: the commands act on the caller's own namespace.
    public var isLocal: Bool { prefix.isEmpty }

    /// Runs `arguments` (the tool first) with `input` on stdin; never throws (a failure to start is status 127).
    public func run(_ arguments: [String], input: String = "") -> Result {
        let argv = prefix + arguments
        guard !argv.isEmpty else { return Result(status: 127, output: "", error: "no command") }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("sy-kpc-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(input.utf8).write(to: dir.appendingPathComponent("in"))
        } catch {
            return Result(status: 127, output: "", error: "cannot create \(dir.path): \(error)")
        }
        defer { try? fm.removeItem(at: dir) }
        let paths = ["in", "out", "err"].map { dir.appendingPathComponent($0).path }
        let status = Self.spawnAndWait(argv, stdin: paths[0], stdout: paths[1], stderr: paths[2])
        let out = (try? String(contentsOfFile: paths[1], encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: paths[2], encoding: .utf8)) ?? ""
        return Result(status: status, output: out, error: status == 127 && err.isEmpty ? "\(argv[0]): not found" : err)
    }

    /// The exit status (128 + signal when killed), or 127 when the program could not be started.
    static func spawnAndWait(_ argv: [String], stdin: String, stdout: String, stderr: String) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        guard posix_spawnp(&pid, argv[0], &actions, nil, &cArgs, environ) == 0 else { return 127 }
        var wstatus: Int32 = 0
        while waitpid(pid, &wstatus, 0) < 0 {
            if errno != EINTR { return 127 }
        }
        let signal = wstatus & 0x7f
        return signal == 0 ? (wstatus >> 8) & 0xff : 128 + signal
    }
}
