import Apply
import Foundation
import Testing
@testable import Bench

/// The IPVS path of `switchyard bench` end to end: the host binary boots a User-Mode Linux guest
/// (scripts/uml-run), the guest runs the IPVS rows and hands back results.json. Small (50 services ×
/// 3 endpoints, 3 runs), about a minute. It boots a UML guest, so it runs only when asked:
/// `SWITCHYARD_BENCH_UML=1` (scripts/test sets it in its UML step, after scripts/test-ipvs, so only
/// one guest runs at a time); root on the host, with the UML kernel.
///
/// Each run gets a private TMPDIR: uml-run's working directory (and the UML command line, whose
/// `uml_dir=` points there) and the bench's exchange directory live in it, so "nothing left behind"
/// is checked for this run alone even when other guests run on the machine.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SWITCHYARD_BENCH_UML"] == "1" && geteuid() == 0
                        && !UMLBench.inGuest && FileManager.default.isExecutableFile(atPath: UMLBench.umlKernel)
                        && BenchBinary.path != nil,
                        "set SWITCHYARD_BENCH_UML=1 (root, UML kernel, switchyard built)"))
struct BenchUMLTests {
    static let arguments = ["bench", "--backends", "ipvs", "--services", "50", "--endpoints-per-service", "3", "--runs", "3",
                            "--probes", "20", "--churn-seconds", "0.2", "--churn-bound", "0.5"]

    /// A private TMPDIR, and the run's output directory.
    struct Scratch {
        let tmp = NSTemporaryDirectory() + "sy-bench-uml-\(UUID().uuidString)"
        var out: String { tmp + "-out" }
        func create() throws { try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true) }
        func remove() { try? FileManager.default.removeItem(atPath: tmp); try? FileManager.default.removeItem(atPath: out) }
        /// What the run left in its TMPDIR (uml-run's `uml-run.*` directory, the exchange directory, lock files).
        var leftovers: [String] { (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] }
    }

    /// Processes whose command line mentions `text` (the UML kernel and its helpers carry `uml_dir=<TMPDIR>/…`).
    static func processes(mentioning text: String) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
            let cmdline = String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            return cmdline.contains(text) && BenchBinary.isAlive(pid) ? pid : nil
        }
    }

    @Test func ipvsRowComesBackFromTheGuestWithRealFiguresAndNothingIsLeftBehind() async throws {
        let scratch = Scratch()
        try scratch.create()
        defer { scratch.remove() }
        let run = try BenchBinary.Running(Self.arguments + ["--out", scratch.out], environment: ["TMPDIR": scratch.tmp])
        defer { run.kill() }
        #expect(run.waitForStderr(containing: "booting User-Mode Linux", timeout: .seconds(30)), "\(run.stderr)")
        #expect(run.waitUntil(timeout: .seconds(60)) { !Self.processes(mentioning: scratch.tmp).isEmpty } || !run.process.isRunning,
                "the guest never showed up")
        let status = run.wait(timeout: .seconds(420))
        #expect(status == 0, "bench exit \(String(describing: status)): \(run.stderr.suffix(3000))")

        let data = try Data(contentsOf: URL(fileURLWithPath: scratch.out + "/results.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rows = try #require(root["results"] as? [[String: Any]])
        let row = try #require(rows.first { $0["backend"] as? String == "ipvs" }, "no ipvs row: \(rows)")
        #expect(rows.count == 1)
        #expect(row["error"] is NSNull, "\(row["error"] ?? "")")
        #expect(row["services"] as? Int == 50)
        #expect(row["endpoints_per_service"] as? Int == 3)
        #expect(row["host"] as? String == "UML guest (1 CPU)")
        for key in BenchResult.requiredKeys { #expect(row.keys.contains(key), "missing \(key)") }
        for key in ["cold_sync_s", "apply_s", "endpoint_change_p50_s", "endpoint_change_p99_s", "service_add_p99_s",
                    "service_remove_p99_s", "npl_p99_s", "first_packet_p50_s"] {
            let v = row[key] as? Double
            #expect(v != nil && v! > 0 && v! < 60, "\(key) = \(String(describing: row[key]))")
        }
        #expect((row["endpoint_change_p50_s"] as? Double ?? 1) <= (row["endpoint_change_p99_s"] as? Double ?? 0))
        // The daemon's own peak memory, measured in the guest: more than a bare process, far below the guest's 2 GiB.
        let rss = try #require(row["rss_peak_bytes"] as? Int, "rss_peak_bytes null")
        #expect(rss > 5_000_000 && rss < 1_000_000_000, "rss_peak_bytes \(rss)")
        #expect((row["elements"] as? Int ?? 0) + (row["rules"] as? Int ?? 0) > 50)
        // The IPVS floor: the same plan fed to ip -batch, ipset restore, ipvsadm -R and iptables-restore in a
        // second namespace of the guest, and the endpoint-change deltas to ipvsadm -R / ipset restore
        // (a failing tool or a rejected ipvsadm line would have set `error` and left these null).
        for key in ["kernel_floor_cold_s", "kernel_floor_change_s"] {
            let v = row[key] as? Double
            #expect(v != nil && v! > 0 && v! < 60, "\(key) = \(String(describing: row[key]))")
        }

        #expect(BenchBinary.eventually(timeout: .seconds(10)) { Self.processes(mentioning: scratch.tmp).isEmpty },
                "UML processes left: \(Self.processes(mentioning: scratch.tmp))")
        #expect(scratch.leftovers.isEmpty, "left in TMPDIR: \(scratch.leftovers)")
        #expect(BenchBinary.namespaces(of: run.pid).isEmpty)
    }

    @Test func ctrlCWhileTheGuestRunsKillsItAndExits130() async throws {
        let scratch = Scratch()
        try scratch.create()
        defer { scratch.remove() }
        let run = try BenchBinary.Running(Self.arguments + ["--out", scratch.out], environment: ["TMPDIR": scratch.tmp])
        defer { run.kill() }
        // The first line from inside the guest: it booted and runs the workload.
        let inGuest = run.waitForStderr(containing: "% uml: ", timeout: .seconds(120))
        try #require(inGuest, "no guest output: \(run.stderr.suffix(2000))")
        #expect(!Self.processes(mentioning: scratch.tmp).isEmpty)
        kill(run.pid, SIGINT)
        // Promptly: the guest is killed, not waited for (it would run on for half a minute).
        let status = run.wait(timeout: .seconds(20))
        #expect(status == 130, "\(run.stderr.suffix(1000))")
        #expect(run.stderr.contains("interrupted"))
        #expect(BenchBinary.eventually(timeout: .seconds(10)) { Self.processes(mentioning: scratch.tmp).isEmpty },
                "UML processes left: \(Self.processes(mentioning: scratch.tmp))")
        #expect(scratch.leftovers.isEmpty, "left in TMPDIR: \(scratch.leftovers)")
        #expect(!FileManager.default.fileExists(atPath: scratch.out + "/results.json"))
    }
}
