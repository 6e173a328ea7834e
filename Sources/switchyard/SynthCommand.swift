import ArgumentParser
import Foundation
import Synthetic

/// `switchyard synth` (hidden): prints a reproducible synthetic cluster as a `v1 List` manifest,
/// the input of the whole-process benchmarks (e.g. `switchyard dry-run --manifests` on 10,000 services).
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Print a seeded synthetic cluster as a JSON or YAML List (for benchmarks).",
        shouldDisplay: false)

    @Option(help: "Number of services.")
    var services: Int = 1000

    @Option(help: "Endpoints per EndpointSlice.")
    var endpoints: Int = 10

    @Option(help: "Number of nodes (the first is node-0).")
    var nodes: Int = 3

    @Option(help: "Seed; the same arguments always give the same cluster.")
    var seed: UInt64 = 1

    @Option(help: "json or yaml.")
    var format: Format = .json

    enum Format: String, ExpressibleByArgument { case json, yaml }

    func validate() throws {
        guard (0...1_000_000).contains(services) else { throw ValidationError("--services must be 0…1000000") }
        guard endpoints >= 0 else { throw ValidationError("--endpoints must be ≥ 0") }
        guard nodes >= 1 else { throw ValidationError("--nodes must be ≥ 1") }
    }

    func run() throws {
        let cluster = SyntheticCluster(seed: seed, services: services, endpointsPerService: endpoints, nodes: nodes)
        let objects = cluster.objects()
        let data = format == .json ? try ManifestWriter.json(objects) : try ManifestWriter.yaml(objects)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
