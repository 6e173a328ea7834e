import Foundation

/// Runs the bench's IPVS rows inside a User-Mode Linux guest: the host kernel has no IPVS. The guest
/// (booted by `scripts/uml-run`, the host's / through hostfs, its own kernel and network stack) runs
/// this same binary as `switchyard bench --backends ipvs …` with the same settings and writes its
/// results.json into a host directory, which is read back here.
public struct UMLBench: Sendable {
    let config: BenchConfig
    let switchyard: String
    let umlRun: String
    let namespaces: BenchNamespaces
    let progress: @Sendable (String) -> Void

    /// True inside a guest started by `scripts/uml-run`.
    public static var inGuest: Bool { ProcessInfo.processInfo.environment["SWITCHYARD_IN_UML"] == "1" }

    /// `$SWITCHYARD_UML_RUN`, `scripts/uml-run` under the current directory, or the one in the
    /// checkout the binary was built in (`…/.build/<mode>/switchyard` → `…/scripts/uml-run`).
    public static func locateUMLRun(switchyard: String?) -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["SWITCHYARD_UML_RUN"], !env.isEmpty { candidates.append(env) }
        candidates.append(FileManager.default.currentDirectoryPath + "/scripts/uml-run")
        if let exe = switchyard {
            var dir = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent("scripts/uml-run").path)
                dir = dir.deletingLastPathComponent()
            }
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The UML kernel `scripts/uml-run` boots.
    public static var umlKernel: String { ProcessInfo.processInfo.environment["UML_KERNEL"] ?? "/usr/bin/linux.uml" }

    /// The guest's command line.
    func guestArguments(outDir: String) -> [String] {
        var args = [switchyard, "bench", "--backends", "ipvs", "--services", config.services.map(String.init).joined(separator: ","),
                    "--endpoints-per-service", "\(config.endpointsPerService)", "--seed", "\(config.seed)",
                    "--runs", "\(config.runs)", "--probes", "\(config.probes)", "--churn-seconds", "\(config.churnSeconds)",
                    "--churn-bound", "\(config.churnBound)", "--out", outDir]
        if !config.npl { args.append("--no-npl") }
        if let m = config.manifests {
            args += ["--manifests", URL(fileURLWithPath: m, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).path]
        }
        return args
    }

    /// Boots the guest, streams its progress, and returns its rows (each with `backend` = ipvs).
    /// Throws when the guest produced no results.json.
    func run() throws -> [BenchResult] {
        let outDir = NSTemporaryDirectory() + "\(namespaces.prefix)uml-out"
        namespaces.addScratch(outDir)
        defer { namespaces.removeScratch(outDir) }
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        // Memory: the guest holds the whole cluster several times over (bench, API server, watch).
        let mem = config.services.max() ?? 0 > 5000 || config.manifests != nil ? "6G" : "2G"
        let argv = [umlRun, "--timeout", "7200", "--mem", mem, "--"] + guestArguments(outDir: outDir)
        progress("ipvs: booting User-Mode Linux (\(mem), 1 CPU) for the IPVS rows")
        let status = try namespaces.runForeground(argv) { line in progress("uml: \(line)") }
        let file = outDir + "/results.json"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw BenchError("ipvs: the UML guest wrote no results (uml-run exit \(status); 124 timeout, 125 no status)")
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rows = root["results"] as? [[String: Any]] else {
            throw BenchError("ipvs: unreadable results.json from the UML guest")
        }
        return rows.compactMap(BenchResult.init(json:)).map { r in
            var r = r
            r.host = "UML guest (1 CPU)"
            return r
        }
    }
}
