import Apply
import ArgumentParser
import Foundation
import Model

/// `switchyard run`: programs the kernel for this node. Only `--once` exists so far: one full sync
/// (which replaces whatever an earlier run applied), then exit.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Program this node's service rules.",
        discussion: """
            --once: load the manifests, build this node's state and apply it as one full sync (replacing \
            the rules of any earlier run), print a summary and exit. The daemon mode (watching for changes) \
            is not implemented yet.
            """)

    @Option(name: [.customLong("backend"), .customLong("proxy-mode")], help: "nftables, iptables or ipvs.")
    var backend: BackendName = .nftables

    @Flag(help: "Apply one full sync and exit.")
    var once = false

    @OptionGroup var proxy: ProxyOptions

    @OptionGroup var applierOptions: ApplierOptions

    func validate() throws {
        guard once else {
            throw ValidationError("not yet: the run daemon (watching for changes) is not implemented; use --once")
        }
        try Appliers.requireAvailable(backend)
    }

    func run() async throws {
        let applier = try Appliers.make(backend, options: applierOptions)
        let state: ProxyState
        do {
            state = try StateLoader(options: proxy).loadState()
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let report: ApplyReport
        do {
            report = try await applier.applyFull(state)
        } catch {
            StandardError.print("switchyard run: \(error)")
            throw ExitCode.failure
        }
        print(Self.summary(backend: backend, state: state, report: report))
    }

    /// The one-line summary printed after a successful apply.
    static func summary(backend: BackendName, state: ProxyState, report: ApplyReport) -> String {
        let counts = state.counts
        let ms = String(format: "%.1f", report.kernelSeconds * 1000)
        return "applied \(backend.rawValue) full sync for node \(state.config.nodeName): \(counts.ports) service ports, "
            + "\(counts.endpoints) endpoints; \(report.rulesWritten) rules, \(report.elementsWritten) elements, "
            + "\(report.bytes) bytes in \(ms) ms"
    }
}
