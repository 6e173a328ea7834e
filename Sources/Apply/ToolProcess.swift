#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program with a byte string on standard input and collects stdout and stderr separately,
/// via `posix_spawn` and unlinked temporary files (no threads, no pipes that could fill up).
/// Every applier runs its tools (`nft`, `iptables-restore`, `ipset`, …) through this.
public enum ToolProcess {
    /// Exit status (128 + signal when killed) and the collected output.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// stdout followed by stderr, for tools whose messages may go to either.
        public var output: String { stdout + stderr }
    }

    /// The process could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public var argv: [String]
        public var errno: Int32
        public var description: String { "cannot start \(argv.joined(separator: " ")): \(String(cString: strerror(errno)))" }
    }

    /// Runs `argv` (argv[0] looked up in PATH) with `input` on stdin; `environment` entries
    /// (`NAME=value`) are added to the inherited environment.
    public static func run(_ argv: [String], input: String = "", environment: [String] = []) throws -> Result {
        let inFD = try temporaryFile(input)
        defer { close(inFD) }
        return try spawn(argv, stdin: inFD, environment: environment)
    }

    /// Runs `argv` with the file at `stdinFile` on stdin (no copy: large rule files go straight to the tool).
    public static func run(_ argv: [String], stdinFile: String, environment: [String] = []) throws -> Result {
        let inFD = open(stdinFile, O_RDONLY | O_CLOEXEC)
        guard inFD >= 0 else { throw SpawnError(argv: ["open", stdinFile], errno: errno) }
        defer { close(inFD) }
        return try spawn(argv, stdin: inFD, environment: environment)
    }

    /// Whether `tool` is an executable file in one of PATH's directories.
    public static func exists(_ tool: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(tool)", X_OK) == 0 }
    }

    private static func spawn(_ argv: [String], stdin inFD: Int32, environment: [String]) throws -> Result {
        let outFD = try scratchFile(), errFD = try scratchFile()
        defer { close(outFD); close(errFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFD, 0)
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errFD, 2)

        var env: [String] = []
        var p = environ
        while let entry = p.pointee { env.append(String(cString: entry)); p += 1 }
        let overridden = Set(environment.map { $0.prefix { $0 != "=" } })
        env = env.filter { !overridden.contains($0.prefix { $0 != "=" }) } + environment

        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cenv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { for x in cargs { free(x) }; for x in cenv { free(x) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cargs, &cenv)
        guard rc == 0 else { throw SpawnError(argv: argv, errno: rc) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exit, stdout: readAll(outFD), stderr: readAll(errFD))
    }

    /// An unlinked temporary file holding `text`, positioned at its start (the caller closes it).
    public static func temporaryFile(_ text: String) throws -> Int32 {
        let fd = try scratchFile()
        do { try writeAll(fd, text) } catch { close(fd); throw error }
        lseek(fd, 0, SEEK_SET)
        return fd
    }

    /// An unlinked temporary file: the kernel frees it when the last descriptor closes.
    private static func scratchFile() throws -> Int32 {
        var template = Array("/tmp/switchyard-tool-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SpawnError(argv: ["mkstemp"], errno: errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    private static func writeAll(_ fd: Int32, _ s: String) throws {
        var s = s
        try s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; throw SpawnError(argv: ["write"], errno: errno) }
                off += n
            }
        }
    }

    private static func readAll(_ fd: Int32) -> String {
        lseek(fd, 0, SEEK_SET)
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
