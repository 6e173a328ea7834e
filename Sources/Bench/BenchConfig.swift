import Foundation

/// A backend the bench can measure.
public enum BenchBackend: String, Hashable, Sendable, CaseIterable {
    case nftables, iptables
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
    /// Directory for results.json, report.md and sync-latency.svg.
    public var outDir: String

    /// Largest accepted cluster (services) and endpoints per service: beyond this the synthetic
    /// address plan and the machine's memory are the limit, not the proxy.
    public static let maxServices = 100_000
    public static let maxEndpointsPerService = 1000
    public static let maxRuns = 10_000

    /// Parses and checks the command-line values; throws `BenchConfigError` with a clear message
    /// for empty, zero, negative, non-numeric or unknown values.
    public static func validated(services: String, endpointsPerService: Int, backends: String,
                                 seed: UInt64, runs: Int, outDir: String) throws -> BenchConfig {
        let sizes = try parseSizes(services)
        guard (1...maxEndpointsPerService).contains(endpointsPerService) else {
            throw BenchConfigError("--endpoints-per-service must be between 1 and \(maxEndpointsPerService), got \(endpointsPerService)")
        }
        guard (1...maxRuns).contains(runs) else {
            throw BenchConfigError("--runs must be between 1 and \(maxRuns), got \(runs)")
        }
        guard !outDir.isEmpty else { throw BenchConfigError("--out must name a directory") }
        return BenchConfig(services: sizes, endpointsPerService: endpointsPerService,
                           backends: try parseBackends(backends), seed: seed, runs: runs, outDir: outDir)
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
