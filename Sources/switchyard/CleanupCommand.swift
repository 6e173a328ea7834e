import ArgumentParser
import Foundation

/// `switchyard cleanup`: removes everything Switchyard created in the kernel, and nothing else.
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove every rule, table, set and address Switchyard created (and nothing else).")

    @Option(name: [.customLong("backend"), .customLong("proxy-mode")],
            help: "A backend name, or all (every backend that can apply today).")
    var backend: Target = .all

    @OptionGroup var applierOptions: ApplierOptions

    /// One backend, or all of them.
    enum Target: ExpressibleByArgument, Equatable {
        case one(BackendName)
        case all

        init?(argument: String) {
            if argument == "all" { self = .all } else if let b = BackendName(rawValue: argument) { self = .one(b) } else { return nil }
        }

        static var allValueStrings: [String] { BackendName.allCases.map(\.rawValue) + ["all"] }
    }

    func validate() throws {
        if case .one(let name) = backend { try Appliers.requireAvailable(name) }
    }

    func run() async throws {
        let backends: [BackendName]
        switch backend {
        case .all: backends = Appliers.available
        case .one(let name): backends = [name]
        }
        var failed = false
        for name in backends {
            do {
                try await Appliers.make(name, options: applierOptions).cleanup()
                print("cleaned up \(name.rawValue)")
            } catch let error as ValidationError {
                throw error
            } catch {
                StandardError.print("switchyard cleanup: \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }
}
