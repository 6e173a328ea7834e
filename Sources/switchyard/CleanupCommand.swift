import ArgumentParser
import Foundation
import KubeProxyCleanup

/// `switchyard cleanup`: removes everything Switchyard created in the kernel, and nothing else.
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove every rule, table, set and address Switchyard created (and nothing else).",
        discussion: """
            --kube-proxy removes instead what kube-proxy left behind in any of its modes, and only that: \
            kube-proxy's KUBE-* chains in the nat, filter and mangle tables of iptables and ip6tables (nft and legacy) \
            with the jumps to them (the kubelet's KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT and filter \
            KUBE-FIREWALL stay, and so do other projects' KUBE-ROUTER-*), the nftables tables ip/ip6 kube-proxy, its KUBE-* ipsets, the kube-ipvs0 \
            interface and the IPVS services bound to it or to a node address on a NodePort. \
            Switchyard's own rules are left alone. See docs/MIGRATION.md.
            """)

    @Option(name: [.customLong("backend"), .customLong("proxy-mode")],
            help: "A backend name, or all (every backend that can apply today).")
    var backend: Target = .all

    @OptionGroup var applierOptions: ApplierOptions

    @Flag(name: .customLong("kube-proxy"), help: "Remove kube-proxy's leftovers instead of Switchyard's own.")
    var kubeProxy = false

    @Flag(name: .customLong("dry-run"), help: "With --kube-proxy: print what would be removed; change nothing.")
    var dryRun = false

    @Option(name: .customLong("nodeport-range"),
            help: "With --kube-proxy: the NodePort range that marks kube-proxy's IPVS services on node addresses.")
    var nodePortRange: String = "30000-32767"

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
        if kubeProxy {
            _ = try parsedNodePortRange()
            return
        }
        if dryRun { throw ValidationError("--dry-run only goes with --kube-proxy") }
        if case .one(let name) = backend { try Appliers.requireAvailable(name) }
    }

    func run() async throws {
        if kubeProxy { return try runKubeProxy() }
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

    /// `--kube-proxy`: one pass of `KubeProxyCleaner` over this namespace.
    func runKubeProxy() throws {
        let options = KubeProxyCleaner.Options(dryRun: dryRun, nodePortRange: try parsedNodePortRange())
        let report = KubeProxyCleaner(options: options).run()
        let verb = dryRun ? "would" : "did"
        for action in report.actions { print("\(verb): \(action)") }
        if dryRun {
            for (variant, input) in report.iptablesRestoreInputs.sorted(by: { $0.key < $1.key }) {
                print("# \(variant)-restore --noflush input:\n\(input)", terminator: "")
            }
        }
        if report.actions.isEmpty { print("no kube-proxy leftovers found") }
        for failure in report.failures { StandardError.print("switchyard cleanup --kube-proxy: \(failure)") }
        if !report.succeeded { throw ExitCode.failure }
    }

    func parsedNodePortRange() throws -> ClosedRange<UInt16> {
        let parts = nodePortRange.split(separator: "-")
        guard parts.count == 2, let low = UInt16(parts[0]), let high = UInt16(parts[1]), low <= high else {
            throw ValidationError("--nodeport-range must look like 30000-32767")
        }
        return low...high
    }
}
