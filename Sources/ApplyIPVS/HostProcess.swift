import Glibc

/// Runs a program with text on standard input and collects its combined stdout/stderr, via
/// `posix_spawn` and unlinked temporary files (no pipes that could fill up, no threads).
enum HostProcess {
    struct Result: Sendable { var status: Int32; var output: String }

    struct SpawnError: Error, CustomStringConvertible {
        var argv: [String]
        var errno: Int32
        var description: String { "cannot start \(argv.joined(separator: " ")): \(String(cString: strerror(errno)))" }
    }

    /// Runs `argv` (argv[0] looked up in PATH) with `input` on stdin.
    static func run(_ argv: [String], input: String = "") throws -> Result {
        let inFD = try scratchFile()
        defer { close(inFD) }
        try writeAll(inFD, input)
        lseek(inFD, 0, SEEK_SET)
        let outFD = try scratchFile()
        defer { close(outFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFD, 0)
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outFD, 2)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cargs, environ)
        guard rc == 0 else { throw SpawnError(argv: argv, errno: rc) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exit, output: readAll(outFD))
    }

    private static func scratchFile() throws -> Int32 {
        var template = Array("/tmp/switchyard-ipvs-XXXXXX".utf8CString)
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
