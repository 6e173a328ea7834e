import Apply
import Foundation

/// The throwaway namespaces of one `BenchNamespaces` object: created with
/// `ip netns add sy-bench-<pid>-<token>-<n>-<label>` and deleted with `ip netns delete`. The random
/// token keeps two objects in one process (parallel tests) from seeing each other's namespaces. Thread-safe, so a SIGINT handler can delete whatever is
/// still live (`deleteAll()`).
public final class BenchNamespaces: @unchecked Sendable {
    private let lock = NSLock()
    private var live: [String] = []
    /// Background processes (echo servers) started through `spawn`, stopped before namespaces go.
    private var processes: [Int32: (process: Process, signal: Int32)] = [:]
    private var counter = 0
    /// Scratch files and directories (kubeconfigs, the UML exchange directory) removed by `deleteAll()`.
    private var scratch: Set<String> = []
    /// Set by `deleteAll()`: from then on nothing new is created or started (a step still running
    /// while Ctrl-C cleans up must not add a namespace behind its back).
    private var closed = false
    /// Set by the interrupt handler (Ctrl-C, SIGTERM).
    private var interrupted = false
    /// Creations and process starts under way (`deleteAll()` waits for them, then removes what they made).
    private var inFlight = 0

    /// `env` options for every child: SIGINT and SIGTERM back to their default action. The interrupt
    /// handler sets them to SIG_IGN in this process, and an ignored signal stays ignored across exec —
    /// `uml-run` could then not be stopped with SIGTERM (bash cannot trap a signal ignored on entry).
    static let defaultSignals = ["--default-signal=INT,TERM"]

    /// Enters an operation that makes something `deleteAll()` must remove; throws once closed.
    private func begin(_ what: String) throws {
        try lock.withLock {
            guard !closed else { throw BenchError("interrupted: not starting \(what)") }
            inFlight += 1
        }
    }

    private func end() { lock.withLock { inFlight -= 1 } }
    /// Name prefix, `sy-bench-<pid>-<token>-`.
    public let prefix: String

    public init(pid: Int32 = ProcessInfo.processInfo.processIdentifier) {
        prefix = "sy-bench-\(pid)-\(String(UInt16.random(in: 0...UInt16.max), radix: 16))-"
    }

    /// Creates a fresh namespace (with loopback up) and returns its name.
    public func create(_ label: String) throws -> String {
        try begin("namespace \(label)")
        defer { end() }
        let name: String = lock.withLock { counter += 1; return "\(prefix)\(counter)-\(label)" }
        let r = try ToolProcess.run(["ip", "netns", "add", name])
        guard r.status == 0 else { throw BenchError("ip netns add \(name) failed: \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))") }
        lock.withLock { live.append(name) }
        _ = try? ToolProcess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])
        return name
    }

    /// Deletes `name` if this object created it and it is still live.
    public func delete(_ name: String) {
        let owned: Bool = lock.withLock {
            guard let i = live.firstIndex(of: name) else { return false }
            live.remove(at: i); return true
        }
        if owned { _ = try? ToolProcess.run(["ip", "netns", "delete", name]) }
    }

    /// Stops every background process, then deletes every namespace still live and every scratch path.
    /// Closes this object: later `create`/`spawn` calls throw (so a step racing with Ctrl-C cannot
    /// leave anything behind); one under way is waited for (up to 30 s) and its result removed too.
    public func deleteAll() {
        lock.withLock { closed = true }
        let deadline = ContinuousClock.now + .seconds(30)
        while lock.withLock({ inFlight }) > 0, ContinuousClock.now < deadline { usleep(5_000) }
        for entry in lock.withLock({ Array(processes.values) }) { stop(entry.process) }
        for name in lock.withLock({ live }) { delete(name) }
        for path in lock.withLock({ scratch }) { removeScratch(path) }
        let removals = ContinuousClock.now + .seconds(30)
        while lock.withLock({ inFlight }) > 0, ContinuousClock.now < removals { usleep(5_000) }
    }

    /// Called by the bench's main flow before it reports: once Ctrl-C or SIGTERM arrived it never
    /// returns (the handler is cleaning up and ends the process with 130/143), so an interrupted run
    /// writes no results and no half table, and its exit status is the handler's.
    public func parkIfInterrupted() {
        guard lock.withLock({ interrupted }) else { return }
        while true { sleep(3600) }
    }

    /// Records a scratch file or directory for removal by `deleteAll()` (also on Ctrl-C, where
    /// `defer` blocks do not run).
    public func addScratch(_ path: String) { lock.withLock { _ = scratch.insert(path) } }

    /// Removes a scratch path now (and forgets it). Only the first caller removes it (the interrupt
    /// handler and the step's own `defer` can race; two removals of one tree would trip each other).
    public func removeScratch(_ path: String) {
        // Claimed and counted in one step: `deleteAll()` waits for a removal under way before the
        // interrupt handler exits, so a tree is never left half removed.
        guard lock.withLock({ () -> Bool in
            guard scratch.remove(path) != nil else { return false }
            inFlight += 1; return true
        }) else { return }
        defer { end() }
        for _ in 0..<3 {
            if (try? FileManager.default.removeItem(atPath: path)) != nil || !FileManager.default.fileExists(atPath: path) { return }
            usleep(100_000)
        }
    }

    /// Starts `argv` in the background (e.g. `ip netns exec NS …`, which execs, so the pid is the
    /// program's own) and waits until its standard output contains `readyWhen`. Throws with its
    /// error output when it exits first. `deleteAll()` stops it too.
    public func spawn(_ argv: [String], readyWhen: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = Self.defaultSignals + argv
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try begin(argv.joined(separator: " "))
        do { try process.run() } catch { end(); throw error }
        lock.withLock { processes[process.processIdentifier] = (process, SIGKILL) }
        end()
        try? out.fileHandleForWriting.close(); try? err.fileHandleForWriting.close()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains(readyWhen) {
            let chunk = out.fileHandleForReading.availableData   // blocks; empty at EOF (the program exited)
            if chunk.isEmpty {
                stop(process)
                let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw BenchError("\(argv.joined(separator: " ")) exited: \(message.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))")
            }
            seen += chunk
        }
        return process
    }

    /// Starts `argv` in the background (e.g. `ip netns exec NS switchyard run …`; `ip` execs, so the
    /// pid is the program's own) and passes each line of its output (stdout and stderr) to `line`
    /// on a reader thread; `ended` runs once its output closed. `stop` or `deleteAll()` (Ctrl-C)
    /// ends it with SIGKILL (its namespace is deleted right after, so it has nothing to clean up).
    public func spawnStreaming(_ argv: [String], line: @escaping @Sendable (String) -> Void,
                               ended: @escaping @Sendable () -> Void = {}) throws -> Process {
        let (process, reader) = try launchTracked(argv, stopSignal: SIGKILL)
        Thread.detachNewThread {
            Self.readLines(reader, line)
            ended()
        }
        return process
    }

    /// Starts `argv` (default signal dispositions, stdout and stderr on one pipe, no stdin) and
    /// tracks it so `deleteAll()` stops it with `stopSignal`; returns it and its output's read end.
    private func launchTracked(_ argv: [String], stopSignal: Int32) throws -> (Process, FileHandle) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = Self.defaultSignals + argv
        let out = Pipe()
        process.standardOutput = out; process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try begin(argv.joined(separator: " "))
        do { try process.run() } catch { end(); throw error }
        lock.withLock { processes[process.processIdentifier] = (process, stopSignal) }
        end()
        try? out.fileHandleForWriting.close()
        return (process, out.fileHandleForReading)
    }

    /// Passes each line read from `reader` to `line` until EOF (a last line without a newline too).
    private static func readLines(_ reader: FileHandle, _ line: (String) -> Void) {
        var pending = Data()
        while true {
            let chunk = reader.availableData   // blocks; empty at EOF
            if chunk.isEmpty { break }
            pending += chunk
            while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                line(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                pending = Data(pending[(nl + 1)...])
            }
        }
        if !pending.isEmpty { line(String(decoding: pending, as: UTF8.self)) }
    }

    /// Stops a tracked process and reaps it: SIGKILL for `spawn`ed ones (the echo server holds no
    /// state), SIGTERM for `runForeground` ones (uml-run then kills its guest and removes its files).
    public func stop(_ process: Process) {
        guard let entry = lock.withLock({ processes.removeValue(forKey: process.processIdentifier) }) else { return }
        if process.isRunning { kill(process.processIdentifier, entry.signal) }
        process.waitUntilExit()
    }

    /// Runs `argv` to completion, passing each line of its output (stdout and stderr) to `line`;
    /// returns its exit status. While it runs, `deleteAll()` (Ctrl-C) stops it with SIGTERM.
    public func runForeground(_ argv: [String], line: (String) -> Void) throws -> Int32 {
        let (process, reader) = try launchTracked(argv, stopSignal: SIGTERM)
        Self.readLines(reader, line)
        process.waitUntilExit()
        lock.withLock { _ = processes.removeValue(forKey: process.processIdentifier) }
        return process.terminationStatus
    }

    /// Runs `body` with a fresh namespace that is deleted afterwards, also when `body` throws.
    public func with<T>(_ label: String, _ body: (String) async throws -> T) async throws -> T {
        let name = try create(label)
        defer { delete(name) }
        return try await body(name)
    }

    /// Namespaces currently listed by `ip netns list` that carry this process's prefix.
    public func leftovers() -> [String] {
        let out = (try? ToolProcess.run(["ip", "netns", "list"]))?.stdout ?? ""
        return out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0.hasPrefix(prefix) }
    }
}

/// A bench failure with a user-facing message.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension BenchNamespaces {
    /// On SIGINT (Ctrl-C) and SIGTERM: deletes every live namespace, prints a note on stderr and
    /// exits with 130 / 143. Keep the returned sources alive for as long as the handler should act.
    public func installInterruptHandler() -> [any DispatchSourceSignal] {
        [(SIGINT, Int32(130)), (SIGTERM, Int32(143))].map { sig, code in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                lock.withLock { interrupted = true }
                deleteAll()
                FileHandle.standardError.write(Data("\nswitchyard bench: interrupted; throwaway namespaces deleted\n".utf8))
                exit(code)
            }
            source.resume()
            return source
        }
    }
}
