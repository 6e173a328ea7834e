import ArgumentParser
import Watch

/// `switchyard example`: prints the embedded example cluster, a starting point for `--manifests`.
struct ExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Print the embedded example cluster (multi-document YAML).")

    func run() {
        print(ExampleCluster.yaml)
    }
}
