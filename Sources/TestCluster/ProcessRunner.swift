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
        let process = try makeProcess(argv)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try input.map(inputFile) ?? FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do { try process.run() } catch {
            throw TestClusterError.launchFailed(argv: argv, reason: "\(error)")
        }
        let stdoutBox = DataBox()
        let readers = DispatchGroup()
        DispatchQueue.global().async(group: readers) { stdoutBox.set(out.fileHandleForReading.readAllRetryingInterrupts()) }
        let stderrBox = DataBox()
        DispatchQueue.global().async(group: readers) { stderrBox.set(err.fileHandleForReading.readAllRetryingInterrupts()) }
        var note = ""
        if exited.wait(timeout: .now() + timeout.timeInterval) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            note = "\n(killed after \(timeout))"
        }
        readers.wait()
        return CommandResult(
            argv: argv, status: exitStatus(process), stdout: String(decoding: stdoutBox.get(), as: UTF8.self),
            stderr: String(decoding: stderrBox.get(), as: UTF8.self) + note)
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

    /// A configured, not yet started `Process` for `argv`.
    static func makeProcess(_ argv: [String]) throws -> Process {
        guard let first = argv.first else { throw TestClusterError.launchFailed(argv: argv, reason: "empty command") }
        guard let url = executableURL(for: first) else {
            throw TestClusterError.launchFailed(argv: argv, reason: "\(first) not found in PATH")
        }
        let process = Process()
        process.executableURL = url
        process.arguments = Array(argv.dropFirst())
        return process
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

    static func exitStatus(_ process: Process) -> Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
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
