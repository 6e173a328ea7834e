import Apply
import Foundation
import Testing
@testable import Bench

/// `switchyard bench` as a user runs it (the binary built next to the tests): bad input, missing
/// privileges and tools each end with a clear message and their exit code before anything is
/// created; Ctrl-C mid-run exits 130 and leaves no namespace and no child process behind.
/// Serialized with the smoke runs (their waits block threads; the benches they start load the cores).
extension BenchSerialTests {
@Suite(.enabled(if: BenchBinary.path != nil, "needs the switchyard binary next to the tests (swift build)"))
struct BenchCommandLineTests {
    @Test(arguments: [
        (["--services", "0"], "--services"),
        (["--services", "1000,abc"], "abc"),
        (["--services=-5"], "-5"),
        (["--services", "2000000"], "2000000"),
        (["--endpoints-per-service", "0"], "--endpoints-per-service"),
        (["--runs", "0"], "--runs"),
        (["--backends", "nftables,bpf"], "bpf"),
        (["--churn-bound", "0"], "--churn-bound"),
        (["--manifests", "/nonexistent/dump.yaml"], "/nonexistent/dump.yaml"),
    ])
    func nonsenseArgumentsExit64NamingTheValue(_ args: [String], _ named: String) throws {
        let r = try BenchBinary.run(["bench"] + args + ["--out", NSTemporaryDirectory() + "sy-bench-never"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(named), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "sy-bench-never"))
    }

    @Test(.enabled(if: geteuid() == 0 && ToolProcess.exists("setpriv"), "needs root to drop to nobody"))
    func withoutRootItExits77AndSaysSo() throws {
        let exe = try #require(BenchBinary.path)
        let r = try BenchBinary.run(["--reuid=65534", "--regid=65534", "--clear-groups", exe, "bench", "--services", "10",
                                     "--out", "/nonexistent-sy-bench"], program: "setpriv")
        #expect(r.status == 77, "\(r.stderr)")
        #expect(r.stderr.contains("needs root"), "\(r.stderr)")
    }

    @Test(.enabled(if: geteuid() == 0, "root: gets past the privilege check"))
    func aMissingNftExits69NamingIt() throws {
        // A PATH with `ip` and `sysctl` but no `nft`.
        let dir = NSTemporaryDirectory() + "sy-bench-path-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for tool in ["ip", "sysctl"] {
            let found = try #require(BenchBinary.which(tool), "\(tool) not installed")
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + tool, withDestinationPath: found)
        }
        let r = try BenchBinary.run(["bench", "--backends", "nftables", "--services", "10", "--out", dir + "/out"],
                                    environment: ["PATH": dir])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("nft"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        #expect(BenchBinary.namespaces(of: r.pid).isEmpty)
    }

    @Test(.enabled(if: geteuid() == 0 && !UMLBench.inGuest, "root on the host"))
    func aMissingUMLKernelExits69NamingIt() throws {
        let r = try BenchBinary.run(["bench", "--backends", "ipvs", "--services", "10", "--out", NSTemporaryDirectory() + "sy-bench-never"],
                                    environment: ["UML_KERNEL": "/nonexistent/linux.uml"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("/nonexistent/linux.uml") && r.stderr.contains("User-Mode Linux"), "\(r.stderr)")
    }

    /// Ctrl-C (SIGINT → 130; SIGTERM → 143) while a step has children running: the first-packet step
    /// (echo server in a namespace) and the network-programming-latency step (the daemon under test).
    @Test(.enabled(if: geteuid() == 0 && ToolProcess.exists("nft") && ToolProcess.exists("ip"), "root, nft, ip"),
          arguments: [("first packet:", "echo-server", SIGINT), ("network programming latency", " run --backend", SIGINT),
                      ("network programming latency", " run --backend", SIGTERM)])
    func ctrlCExits130AndLeavesNoNamespaceOrChild(_ step: String, _ child: String, _ signal: Int32) async throws {
        let out = NSTemporaryDirectory() + "sy-bench-int-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try BenchBinary.Running(["bench", "--backends", "nftables", "--services", "300", "--endpoints-per-service", "2",
                                           "--runs", "300", "--probes", "4000", "--churn-seconds", "0", "--out", out])
        defer { run.kill() }
        let reached = run.waitForStderr(containing: step, timeout: .seconds(300))
        try #require(reached, "never reached \(step): \(run.stderr.suffix(2000))")
        // The step's child is up (and the bench has its namespaces).
        let up = run.waitUntil(timeout: .seconds(60)) {
            BenchBinary.descendants(of: run.pid).contains { BenchBinary.commandLine($0).contains(child) }
        }
        try #require(up, "no \(child) child: \(run.stderr.suffix(2000))")
        let children = BenchBinary.descendants(of: run.pid)
        #expect(!BenchBinary.namespaces(of: run.pid).isEmpty)
        kill(run.pid, signal)
        let status = run.wait(timeout: .seconds(60))
        #expect(status == (signal == SIGINT ? 130 : 143), "\(run.stderr.suffix(1000))")
        #expect(run.stderr.contains("interrupted"))
        #expect(BenchBinary.namespaces(of: run.pid).isEmpty)
        _ = BenchBinary.eventually(timeout: .seconds(5)) { !children.contains(where: BenchBinary.isAlive) }
        let alive = children.filter(BenchBinary.isAlive)
        #expect(alive.isEmpty, "children left: \(alive)")
        #expect(!FileManager.default.fileExists(atPath: out + "/results.json"))
    }
}

}

/// The `switchyard` binary under test and small process helpers for the command-line tests.
enum BenchBinary {
    /// `$SWITCHYARD_EXECUTABLE`, else `switchyard` beside the test bundle (`.build/<mode>/`).
    static let path: String? = {
        if let env = ProcessInfo.processInfo.environment["SWITCHYARD_EXECUTABLE"], FileManager.default.isExecutableFile(atPath: env) { return env }
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        let candidate = bundle.appendingPathComponent("switchyard").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }()

    struct Result { var status: Int32; var stdout: String; var stderr: String; var pid: Int32 }

    /// Runs `program` (default: the binary under test; else looked up in PATH) to completion.
    static func run(_ args: [String], program: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        if let program {
            p.executableURL = URL(fileURLWithPath: which(program) ?? program)
        } else {
            guard let path else { throw BenchError("switchyard binary not built") }
            p.executableURL = URL(fileURLWithPath: path)
        }
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self), pid: p.processIdentifier)
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            if FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") { return "\(dir)/\(tool)" }
        }
        return nil
    }

    /// Namespaces named after bench process `pid` (`sy-bench-<pid>-…`).
    static func namespaces(of pid: Int32) -> [String] {
        let out = (try? ToolProcess.run(["ip", "netns", "list"]))?.stdout ?? ""
        return out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0.hasPrefix("sy-bench-\(pid)-") }
    }

    /// Every live descendant of `pid` (children, their children, …), from /proc.
    static func descendants(of pid: Int32) -> [Int32] {
        var parent: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let p = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, let pp = Int32(fields[1]) { parent[p] = pp }
        }
        var out: [Int32] = [], frontier = [pid]
        while let next = frontier.popLast() {
            for (child, pp) in parent where pp == next { out.append(child); frontier.append(child) }
        }
        return out
    }

    /// Polls `condition` until it holds or `timeout` passed; its last value.
    static func eventually(timeout: Duration, _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return condition()
    }

    /// `/proc/PID/cmdline` with spaces between the arguments ("" when gone).
    static func commandLine(_ pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// The binary under test running in the background, its stderr collected.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var collected = ""
        private let done = DispatchSemaphore(value: 0)

        init(_ args: [String], environment: [String: String] = [:]) throws {
            guard let path = BenchBinary.path else { throw BenchError("switchyard binary not built") }
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = args
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let err = Pipe()
            process.standardOutput = FileHandle.nullDevice; process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try? err.fileHandleForWriting.close()
            let reader = err.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    lock.withLock { collected += String(decoding: chunk, as: UTF8.self) }
                }
                process.waitUntilExit()
                done.signal()
            }
        }

        var pid: Int32 { process.processIdentifier }
        var stderr: String { lock.withLock { collected } }

        func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if condition() { return true }
                if !process.isRunning { return condition() }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }

        func waitForStderr(containing text: String, timeout: Duration) -> Bool { waitUntil(timeout: timeout) { stderr.contains(text) } }

        /// The exit status, or nil when it did not exit within `timeout`.
        func wait(timeout: Duration) -> Int32? {
            let seconds = Double(timeout.components.seconds)
            guard done.wait(timeout: .now() + seconds) == .success else { return nil }
            done.signal()
            return process.terminationStatus
        }

        /// SIGKILL if still running (test cleanup).
        func kill() { if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL); _ = wait(timeout: .seconds(10)) } }
    }
}
