import ArgumentParser
import Foundation
import Model
import Render

/// `switchyard dry-run`: prints exactly what a backend would apply, without touching the kernel.
struct DryRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Print the rules a backend would write for this node, without applying them.",
        discussion: """
            nftables: a script `nft -f` accepts. iptables: `iptables-restore` input (apply with --noflush). \
            ipvs: a readable plan — ipvsadm-style lines, `ipset restore` text and `iptables-restore` text. \
            Objects that are skipped are reported on stderr.
            """)

    @Option(name: [.customLong("backend"), .customLong("proxy-mode")], help: "nftables, iptables or ipvs.")
    var backend: BackendName = .nftables

    @Option(help: "text (what the backend applies) or json.")
    var format: OutputFormat = .text

    @Option(name: .customLong("output-dir"),
            help: "Also write each piece (nft script, ipset and iptables-restore inputs per family) to its own file here.")
    var outputDir: String?

    @OptionGroup var proxy: ProxyOptions

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let state: ProxyState
        do {
            state = try StateLoader(options: proxy).loadState()
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(error)")
        }
        let output = Backends.renderFull(backend, state: state)
        let text = format == .text ? output.text : output.json
        FileHandle.standardOutput.write(Data(text.utf8))
        if !text.hasSuffix("\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
        if let outputDir { try writeParts(output.parts, to: outputDir) }
        let counts = state.counts
        StandardError.print("dry-run: \(backend.rawValue) for node \(state.config.nodeName): \(counts.ports) service ports, \(counts.endpoints) endpoints")
    }

    /// Writes each rendered piece to `dir/<part name>`.
    func writeParts(_ parts: [RenderedPart], to dir: String) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for part in parts {
                try Data(part.text.utf8).write(to: URL(fileURLWithPath: dir).appendingPathComponent(part.name))
            }
        } catch {
            throw ValidationError("--output-dir \(dir): \(error.localizedDescription)")
        }
    }
}
