import ArgumentParser

/// `switchyard version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    static let version = "0.1.0-dev"
    func run() { print("switchyard \(Self.version)") }
}
