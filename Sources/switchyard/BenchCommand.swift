import ArgumentParser
import Bench
import Foundation

/// `switchyard bench`: measures the backends on this machine's kernel — cold sync (model, render,
/// apply), the tools' own floor, incremental change latency, sustained churn, first-packet latency
/// through the rules, network-programming latency through the test API server, rule counts and
/// peak RSS — each in throwaway network namespaces, never in the host's own. Writes results.json,
/// report.md, sync-latency.svg and first-packet.svg to `--out`, and prints a table.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the nftables and iptables backends in throwaway network namespaces (root).")

    @Option(help: "Comma-separated cluster sizes (number of services).")
    var services: String = "1000,5000,10000"

    @Option(help: "Endpoints per service.")
    var endpointsPerService: Int = 10

    @Option(help: "Comma-separated backends: nftables, iptables, ipvs (ipvs runs inside a User-Mode Linux guest).")
    var backends: String = "nftables,iptables"

    @Option(help: "Seed of the synthetic cluster and the changes.")
    var seed: UInt64 = 1

    @Option(help: "Repetitions of each incremental change (p50/p99 over these).")
    var runs: Int = 20

    @Option(help: "Directory for results.json, report.md, sync-latency.svg and first-packet.svg.")
    var out: String = "bench-results"

    @Option(help: "First-packet connections per backend and size, to up to 20 ClusterIPs (0: skip).")
    var probes: Int = 200

    @Option(help: "Seconds per rate step of the sustained-churn ramp (0: skip).")
    var churnSeconds: Double = 2

    @Option(help: "p99 latency in seconds a churn rate must stay under to count as held.")
    var churnBound: Double = 0.05

    @Flag(inversion: .prefixedNo, help: "Measure network-programming latency through the test API server.")
    var npl: Bool = true

    @Option(help: "Replay this cluster dump (kubectl get svc,endpointslices,nodes -A -o yaml) instead of the synthetic cluster; --services is then ignored.")
    var manifests: String?

    /// Exit codes: 64 bad arguments (ArgumentParser), 65 an unusable --manifests dump, 77 not root,
    /// 69 a tool is missing, 1 a measurement failed.
    func run() async throws {
        let config: BenchConfig
        do {
            config = try BenchConfig.validated(services: services, endpointsPerService: endpointsPerService,
                                               backends: backends, seed: seed, runs: runs, outDir: out,
                                               probes: probes, churnSeconds: churnSeconds, churnBound: churnBound,
                                               npl: npl, manifests: manifests)
        } catch let e as BenchConfigError {
            throw ValidationError(e.message)
        }
        guard geteuid() == 0 else {
            FileHandle.standardError.write(Data("switchyard bench needs root: it creates throwaway network namespaces (ip netns add) and programs the kernel inside them. Run it with sudo.\n".utf8))
            throw ExitCode(77)
        }
        do { try BenchRunner.preflight(config.backends) } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(69)
        }
        if let path = config.manifests {
            do { try BenchRunner.checkManifests(path) } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(65)
            }
        }
        let namespaces = BenchNamespaces()
        let handlers = namespaces.installInterruptHandler()
        defer { namespaces.deleteAll(); _ = handlers }
        // The probes and echo servers run as this same binary.
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let rows = config.backends.count * (config.manifests == nil ? config.services.count : 1)
        let bar = BenchProgressBar(rows: rows)
        let runner = BenchRunner(config: config, namespaces: namespaces, switchyardExecutable: exe) { line in
            FileHandle.standardError.write(Data("bench: \(bar.advance(line))\n".utf8))
        }
        let results = await runner.run()
        print(BenchReport.terminalTable(results), terminator: "")
        for path in try runner.write(results) { print("wrote \(path)") }
        if results.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }
}
