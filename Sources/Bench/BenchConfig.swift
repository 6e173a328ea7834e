import Foundation

/// A backend the bench can measure. IPVS runs inside a User-Mode Linux guest (the host kernel
/// has no IPVS): the host bench boots one with `scripts/uml-run` and runs the IPVS rows there.
public enum BenchBackend: String, Hashable, Sendable, CaseIterable {
    case nftables, iptables, ipvs
}

/// A validation failure of the bench's arguments, with a message meant for the user.
public struct BenchConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What one `switchyard bench` invocation measures. Built only through `validated(...)`.
public struct BenchConfig: Hashable, Sendable {
    /// Cluster sizes (number of services), ascending, without duplicates.
    public var services: [Int]
    public var endpointsPerService: Int
    public var backends: [BenchBackend]
    public var seed: UInt64
    /// Repetitions per incremental measurement (p50/p99 are taken over these).
    public var runs: Int
    /// Directory for results.json, report.md and the SVG charts.
    public var outDir: String
    /// First-packet connections per backend and size (0: not measured).
    public var probes: Int = 200
    /// Seconds per rate step of the sustained-churn ramp (0: not measured).
    public var churnSeconds: Double = 2
    /// The p99 latency (seconds) a churn rate must stay under to count as held.
    public var churnBound: Double = 0.05
    /// Measure network-programming latency through the test API server (`runs` samples).
    public var npl: Bool = true
    /// A cluster dump (`kubectl get svc,endpointslices,nodes -A -o yaml`) replayed instead of the
    /// synthetic cluster; then `services` is ignored and each row reports the dump's service count.
    public var manifests: String?

    /// Largest accepted cluster (services) and endpoints per service: beyond this the synthetic
    /// address plan and the machine's memory are the limit, not the proxy.
    public static let maxServices = 100_000
    public static let maxEndpointsPerService = 1000
    public static let maxRuns = 10_000
    public static let maxProbes = 100_000

    /// Parses and checks the command-line values; throws `BenchConfigError` with a clear message
    /// for empty, zero, negative, non-numeric or unknown values.
    public static func validated(services: String, endpointsPerService: Int, backends: String,
                                 seed: UInt64, runs: Int, outDir: String, probes: Int = 200,
                                 churnSeconds: Double = 2, churnBound: Double = 0.05, npl: Bool = true,
                                 manifests: String? = nil) throws -> BenchConfig {
        let sizes = try parseSizes(services)
        guard (1...maxEndpointsPerService).contains(endpointsPerService) else {
            throw BenchConfigError("--endpoints-per-service must be between 1 and \(maxEndpointsPerService), got \(endpointsPerService)")
        }
        guard (1...maxRuns).contains(runs) else {
            throw BenchConfigError("--runs must be between 1 and \(maxRuns), got \(runs)")
        }
        guard !outDir.isEmpty else { throw BenchConfigError("--out must name a directory") }
        guard (0...maxProbes).contains(probes) else {
            throw BenchConfigError("--probes must be between 0 and \(maxProbes), got \(probes)")
        }
        guard churnSeconds.isFinite, (0...600).contains(churnSeconds) else {
            throw BenchConfigError("--churn-seconds must be between 0 and 600, got \(churnSeconds)")
        }
        guard churnBound.isFinite, churnBound > 0, churnBound <= 60 else {
            throw BenchConfigError("--churn-bound must be a number of seconds above 0 and at most 60, got \(churnBound)")
        }
        if let manifests {
            var isDir: ObjCBool = false
            guard !manifests.isEmpty, FileManager.default.fileExists(atPath: manifests, isDirectory: &isDir) else {
                throw BenchConfigError("--manifests: no such file: \(manifests)")
            }
            guard FileManager.default.isReadableFile(atPath: manifests) else {
                throw BenchConfigError("--manifests: cannot read \(manifests)")
            }
        }
        var config = BenchConfig(services: sizes, endpointsPerService: endpointsPerService,
                                 backends: try parseBackends(backends), seed: seed, runs: runs, outDir: outDir)
        config.probes = probes; config.churnSeconds = churnSeconds; config.churnBound = churnBound
        config.npl = npl; config.manifests = manifests
        return config
    }

    /// `"1000,5000"` → `[1000, 5000]`, sorted and deduplicated.
    static func parseSizes(_ text: String) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
            throw BenchConfigError("--services needs a comma-separated list of positive numbers, e.g. 1000,5000,10000; got \"\(text)\"")
        }
        var sizes: [Int] = []
        for item in items {
            guard let n = Int(item) else { throw BenchConfigError("--services: \"\(item)\" is not a number") }
            guard (1...maxServices).contains(n) else {
                throw BenchConfigError("--services: \(n) is not a usable cluster size (1 to \(maxServices))")
            }
            sizes.append(n)
        }
        return Array(Set(sizes)).sorted()
    }

    /// `"nftables,iptables"` → backends in the given order, deduplicated.
    static func parseBackends(_ text: String) throws -> [BenchBackend] {
        var out: [BenchBackend] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let b = BenchBackend(rawValue: name) else {
                let known = BenchBackend.allCases.map(\.rawValue).joined(separator: ", ")
                throw BenchConfigError("--backends: unknown backend \"\(name)\" (known: \(known))")
            }
            if !out.contains(b) { out.append(b) }
        }
        return out
    }
}
