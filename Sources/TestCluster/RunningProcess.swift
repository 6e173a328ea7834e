import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A background process (an echo server, a packet capture…) whose output is collected as it runs.
/// `TestCluster.teardown()` stops every process the cluster spawned.
public final class RunningProcess: @unchecked Sendable {
    /// The command line.
    public let argv: [String]
    /// The operating-system process id.
    public let pid: Int32

    private let process: Process
    private let state = ProcessState()

    init(_ argv: [String]) throws {
        self.argv = argv
        process = try ProcessRunner.makeProcess(argv)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [state] p in state.markExited(ProcessRunner.exitStatus(p)) }
        do { try process.run() } catch {
            throw TestClusterError.launchFailed(argv: argv, reason: "\(error)")
        }
        pid = process.processIdentifier
        state.startReader(out.fileHandleForReading, isStdout: true)
        state.startReader(err.fileHandleForReading, isStdout: false)
    }

    /// Standard output so far.
    public var output: String { state.read { String(decoding: $0.stdout, as: UTF8.self) } }
    /// Standard error so far.
    public var errorOutput: String { state.read { String(decoding: $0.stderr, as: UTF8.self) } }
    /// The exit status once the process has exited, nil while it runs.
    public var status: Int32? { state.read { $0.status } }
    /// True until the process has exited.
    public var isRunning: Bool { status == nil }

    /// Waits until standard output contains `text`; false when the process exited or `timeout` passed first.
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(5)) -> Bool {
        state.wait(timeout: timeout) { buffers in
            if String(decoding: buffers.stdout, as: UTF8.self).contains(text) { return true }
            return buffers.status != nil ? false : nil
        } ?? false
    }

    /// Waits for the process to exit by itself; returns its status, or nil when `timeout` passed first.
    @discardableResult
    public func waitForExit(timeout: Duration) -> Int32? {
        state.wait(timeout: timeout) { $0.status }
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL and waits for the exit. Idempotent.
    public func stop(grace: Duration = .milliseconds(500)) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if waitForExit(timeout: grace) == nil {
            kill(pid, SIGKILL)
            waitForExit(timeout: .seconds(5))
        }
    }
}

/// Output and exit status of a running process, guarded by one condition variable.
final class ProcessState: @unchecked Sendable {
    struct Buffers {
        var stdout = Data()
        var stderr = Data()
        var status: Int32?
    }

    private let condition = NSCondition()
    private var buffers = Buffers()

    func read<T>(_ body: (Buffers) -> T) -> T { condition.withLock { body(buffers) } }

    /// Re-evaluates `check` after every change until it returns non-nil or `timeout` passes.
    func wait<T>(timeout: Duration, _ check: (Buffers) -> T?) -> T? {
        let deadline = Date().addingTimeInterval(timeout.timeInterval)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = check(buffers) { return value }
            if !condition.wait(until: deadline) { return check(buffers) }
        }
    }

    func markExited(_ status: Int32) {
        condition.withLock {
            buffers.status = status
            condition.broadcast()
        }
    }

    func startReader(_ handle: FileHandle, isStdout: Bool) {
        let thread = Thread { [self] in
            while true {
                guard let chunk = handle.readChunkRetryingInterrupts(), !chunk.isEmpty else { return }
                condition.withLock {
                    if isStdout { buffers.stdout.append(chunk) } else { buffers.stderr.append(chunk) }
                    condition.broadcast()
                }
            }
        }
        thread.start()
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (s, atto) = components
        return TimeInterval(s) + TimeInterval(atto) / 1e18
    }
}
