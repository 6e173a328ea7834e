import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a finished command did.
public struct CommandResult: Sendable, Equatable {
    /// The command line that ran.
    public let argv: [String]
    /// The exit status (128 + signal number when killed by a signal).
    public let status: Int32
    /// Everything it wrote to standard output.
    public let stdout: String
    /// Everything it wrote to standard error.
    public let stderr: String

    /// True when the exit status is 0.
    public var succeeded: Bool { status == 0 }

    /// Returns self when the command succeeded, else throws `TestClusterError.commandFailed`.
    @discardableResult
    public func check() throws -> CommandResult {
        guard succeeded else { throw TestClusterError.commandFailed(argv: argv, status: status, stderr: stderr) }
        return self
    }
}

/// Runs programs with Foundation `Process`, capturing their output. Blocking; safe from any thread.
public enum ProcessRunner {
    /// Runs `argv` to completion, feeding `input` on standard input when given.
    /// `argv[0]` is an absolute path or a name looked up in `PATH`. A command still running after
    /// `timeout` is killed (SIGKILL); its result then has status 137 and a note on stderr.
    public static func run(_ argv: [String], input: String? = nil, timeout: Duration = .seconds(60)) throws -> CommandResult {
        guard let first = argv.first else { throw TestClusterError.launchFailed(argv: argv, reason: "empty command") }
        guard let url = executableURL(for: first) else {
            throw TestClusterError.launchFailed(argv: argv, reason: "\(first) not found in PATH")
        }
        let stdinHandle = try input.map(inputFile) ?? FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        let pid: pid_t
        do {
            pid = try spawn(url.path, argv, stdin: stdinHandle.fileDescriptor,
                            stdout: out.fileHandleForWriting.fileDescriptor, stderr: err.fileHandleForWriting.fileDescriptor)
        } catch {
            throw TestClusterError.launchFailed(argv: argv, reason: "\(error)")
        }
        // The child holds its own copies now; close ours so the readers see end of file.
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()
        if input != nil { try? stdinHandle.close() }

        let stdoutBox = DataBox(), stderrBox = DataBox()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { stdoutBox.set(out.fileHandleForReading.readAllRetryingInterrupts()) }
        DispatchQueue.global().async(group: readers) { stderrBox.set(err.fileHandleForReading.readAllRetryingInterrupts()) }
        let exited = DispatchSemaphore(value: 0)
        let statusBox = StatusBox()
        Thread.detachNewThread {
            var wstatus: Int32 = 0
            while waitpid(pid, &wstatus, 0) < 0 && errno == EINTR {}
            statusBox.set(wstatus)
            exited.signal()
        }
        var note = ""
        if exited.wait(timeout: .now() + timeout.timeInterval) == .timedOut {
            kill(pid, SIGKILL)
            exited.wait()
            note = "\n(killed after \(timeout))"
        }
        readers.wait()
        return CommandResult(
            argv: argv, status: decodeWaitStatus(statusBox.get()), stdout: String(decoding: stdoutBox.get(), as: UTF8.self),
            stderr: String(decoding: stderrBox.get(), as: UTF8.self) + note)
    }

    /// Starts `path` with `argv` and the given descriptors as 0, 1, 2 through `posix_spawn`.
    ///
    /// Foundation's `Process` is not used here: under many concurrent launches (the test suites run in
    /// parallel) its `run()` crashed inside Foundation, and it learns of exits through a socket on the
    /// loopback interface, which hangs in namespaces whose loopback is down.
    static func spawn(_ path: String, _ argv: [String], stdin: Int32, stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with default signal handling whatever the test runner installed.
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = path.withCString { posix_spawn(&pid, $0, &actions, &attributes, cArgs, environ) }
        guard rc == 0 else { throw TestClusterError.launchFailed(argv: argv, reason: String(cString: strerror(rc))) }
        return pid
    }

    /// The exit status of a `waitpid` status word; 128 + signal for a killed process (137 for SIGKILL).
    static func decodeWaitStatus(_ w: Int32) -> Int32 {
        let signal = w & 0x7f
        return signal == 0 ? (w >> 8) & 0xff : 128 + signal
    }

    /// `input` in an already unlinked temporary file, opened for reading. (Feeding a pipe from
    /// another thread made the first run of a process take a second longer.)
    static func inputFile(_ input: String) throws -> FileHandle {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchyard-stdin-\(getpid())-\(UInt64.random(in: 0...UInt64.max))").path
        guard FileManager.default.createFile(atPath: path, contents: Data(input.utf8)),
              let handle = FileHandle(forReadingAtPath: path) else {
            throw TestClusterError.launchFailed(argv: [], reason: "cannot write standard input to \(path)")
        }
        unlink(path)
        return handle
    }

    /// `name` itself when it contains a slash, else the first executable `PATH` entry (plus the
    /// sbin directories, which root's tools live in even when PATH lacks them).
    public static func executableURL(for name: String) -> URL? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        for dir in dirs where !dir.isEmpty {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return nil
    }

}

/// A lock-protected byte buffer shared between a reader thread and its owner.
final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func set(_ value: Data) { lock.withLock { data = value } }
    func append(_ value: Data) { lock.withLock { data.append(value) } }
    func get() -> Data { lock.withLock { data } }
}

/// A lock-protected wait status shared between the waiting thread and its owner.
final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int32 = 0
    func set(_ value: Int32) { lock.withLock { status = value } }
    func get() -> Int32 { lock.withLock { status } }
}
