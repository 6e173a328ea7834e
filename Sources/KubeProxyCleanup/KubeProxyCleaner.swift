import Foundation
import IPVSNetlink
import SwitchyardCore

/// Removes what kube-proxy left on a node, in any of its modes, and nothing else:
/// its IPVS virtual services, its iptables/ip6tables chains (nft and legacy) and the jumps to them,
/// its nftables tables, its ipsets, and its kube-ipvs0 dummy interface — in that order, so nothing is
/// still referenced when it is deleted. Each step runs even when an earlier one failed.
public struct KubeProxyCleaner: Sendable {
    /// What to do and how.
    public struct Options: Sendable {
        /// Plan and report only; change nothing.
        public var dryRun: Bool
        /// The iptables tool families to visit (`iptables-nft` → `iptables-nft-save` / `-restore`).
        public var iptablesVariants: [String]
        /// Remove kube-proxy's IPVS virtual services (netlink, in the caller's own namespace only).
        public var ipvsServices: Bool
        /// The NodePort range used to recognise kube-proxy's node-address IPVS services.
        public var nodePortRange: ClosedRange<UInt16>

        public init(dryRun: Bool = false,
                    iptablesVariants: [String] = ["iptables-nft", "iptables-legacy", "ip6tables-nft", "ip6tables-legacy"],
                    ipvsServices: Bool = true,
                    nodePortRange: ClosedRange<UInt16> = KubeProxyLeftovers.defaultNodePortRange) {
            self.dryRun = dryRun; self.iptablesVariants = iptablesVariants
            self.ipvsServices = ipvsServices; self.nodePortRange = nodePortRange
        }
    }

    public var runner: CommandRunner
    public var options: Options

    public init(runner: CommandRunner = CommandRunner(), options: Options = Options()) {
        self.runner = runner; self.options = options
    }

    /// Runs every step and reports what it removed (or, in a dry run, would remove) and what failed.
    public func run() -> KubeProxyCleanupReport {
        var report = KubeProxyCleanupReport()
        let dummyAddresses = interfaceAddresses().filter { $0.interface == KubeProxyLeftovers.dummyInterface }
        if options.ipvsServices && runner.isLocal { cleanIPVS(&report) }
        for variant in options.iptablesVariants { cleanIptables(variant, &report) }
        cleanNftables(&report)
        cleanIpsets(&report)
        if linkExists(KubeProxyLeftovers.dummyInterface) {
            let addresses = dummyAddresses.map { "\($0.address)" }.joined(separator: ", ")
            perform(["ip", "link", "del", KubeProxyLeftovers.dummyInterface],
                    "delete interface \(KubeProxyLeftovers.dummyInterface)" + (addresses.isEmpty ? "" : " (\(addresses))"), &report)
        }
        return report
    }

    // MARK: steps

    func cleanIptables(_ variant: String, _ report: inout KubeProxyCleanupReport) {
        let dump = runner.run(["\(variant)-save"])
        guard dump.status != 127 else { return } // this variant is not installed
        guard dump.succeeded else {
            report.failures.append("\(variant)-save: exit \(dump.status): \(dump.error.trimmed)")
            return
        }
        let plan = KubeProxyIptablesPlan(iptablesSave: dump.output)
        guard !plan.isEmpty else { return }
        for t in plan.tables {
            report.actions.append("\(variant) \(t.table): delete \(t.deletedRules.count) jump rules, remove \(t.removedChains.count) KUBE-* chains"
                                  + (t.keptChains.isEmpty ? "" : " (kept, not kube-proxy's: \(t.keptChains.joined(separator: ", ")))"))
        }
        report.iptablesRestoreInputs[variant] = plan.restoreInput
        guard !options.dryRun else { return }
        let r = runner.run(["\(variant)-restore", "--noflush", "--wait"], input: plan.restoreInput)
        if !r.succeeded { report.failures.append("\(variant)-restore: exit \(r.status): \(r.error.trimmed)") }
    }

    func cleanNftables(_ report: inout KubeProxyCleanupReport) {
        let list = runner.run(["nft", "list", "tables"])
        guard list.succeeded else {
            if list.status != 127 { report.failures.append("nft list tables: \(list.error.trimmed)") }
            return
        }
        for table in KubeProxyLeftovers.nftablesTablesPresent(inListing: list.output) {
            perform(["nft", "delete", "table"] + table.split(separator: " ").map(String.init), "delete nftables table \(table)", &report)
        }
    }

    func cleanIpsets(_ report: inout KubeProxyCleanupReport) {
        let list = runner.run(["ipset", "list", "-n"])
        guard list.succeeded else {
            if list.status != 127 { report.failures.append("ipset list -n: \(list.error.trimmed)") }
            return
        }
        for set in KubeProxyLeftovers.ipsets(inListing: list.output) {
            perform(["ipset", "destroy", set], "destroy ipset \(set)", &report)
        }
    }

    func cleanIPVS(_ report: inout KubeProxyCleanupReport) {
        let client: IPVSClient
        do { client = try IPVSClient() } catch { return } // IPVS not loaded (or no netlink): nothing of kube-proxy's there
        let services: [IPVSServiceKey]
        do { services = try client.services().map(\.service.key) } catch {
            report.failures.append("list IPVS services: \(error)")
            return
        }
        let addresses = interfaceAddresses()
        let dummy = Set(addresses.filter { $0.interface == KubeProxyLeftovers.dummyInterface }.map(\.address))
        let node = Set(addresses.filter { $0.interface != KubeProxyLeftovers.dummyInterface }.map(\.address))
        let candidates: [(key: IPVSServiceKey, value: (proto: L4Protocol, address: IPAddress, port: UInt16))] = services.compactMap {
            guard case let .address(p, a, port) = $0 else { return nil }
            return ($0, (p, a, port))
        }
        let chosen = KubeProxyLeftovers.ipvsServicesToDelete(candidates.map(\.value), dummyAddresses: dummy,
                                                             nodeAddresses: node, nodePortRange: options.nodePortRange)
        for i in chosen {
            let key = candidates[i].key
            report.actions.append("delete IPVS service \(key)")
            guard !options.dryRun else { continue }
            do { try client.deleteService(key) } catch { report.failures.append("delete IPVS service \(key): \(error)") }
        }
    }

    // MARK: helpers

    func perform(_ command: [String], _ what: String, _ report: inout KubeProxyCleanupReport) {
        report.actions.append(what)
        guard !options.dryRun else { return }
        let r = runner.run(command)
        if !r.succeeded { report.failures.append("\(what): exit \(r.status): \(r.error.trimmed)") }
    }

    func linkExists(_ name: String) -> Bool {
        runner.run(["ip", "link", "show", "dev", name]).succeeded
    }

    func interfaceAddresses() -> [InterfaceAddressListing.Entry] {
        let r = runner.run(["ip", "-j", "address", "show"])
        guard r.succeeded else { return [] }
        return InterfaceAddressListing.parse(json: r.output)
    }
}

/// What a cleanup did (or, in a dry run, would do).
public struct KubeProxyCleanupReport: Sendable, Equatable {
    /// One line per removal, in order.
    public var actions: [String] = []
    /// One line per step that failed.
    public var failures: [String] = []
    /// The `iptables-restore --noflush` input used per iptables variant.
    public var iptablesRestoreInputs: [String: String] = [:]

    public init() {}

    public var succeeded: Bool { failures.isEmpty }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
