import Apply
import Diff
import IPVSNetlink
import Model
import RenderIPVS
import SwitchyardCore

/// The IPVS backend's I/O half.
///
/// Full sync: sysctls; the node's addresses (for NodePorts on every local address); the plan
/// (`IPVSPlanIndex`, which also becomes the record); ipsets diffed against a netlink listing of ours
/// and only the differences sent (nfnetlink, no `ipset` process); each family's
/// iptables chains restored and their jumps ensured once; the dummy interface and its addresses
/// diffed against an rtnetlink dump; the kernel's virtual servers and real servers dumped and
/// compared with the plan, and only the differences sent (never a flush: re-adding right after a
/// flush is very slow). Real servers the plan wants that sit at weight 0 (left by an earlier
/// process that was draining them) are set back to their weight; TCP real servers the plan does
/// not want are drained; kernel services that are ours but not planned are deleted.
///
/// Incremental sync: `IPVSPlanIndex.apply` gives the operations of the changed ports only (reference
/// counts decide whether shared addresses and set members go); they are sent without any dump.
///
/// Graceful termination: a TCP real server removed from a surviving service is set to weight 0 and
/// remembered; it is deleted once its active connections (and, optionally, inactive ones) are 0,
/// checked by a dump of that one service's real servers, or when `gracePeriod` has passed. Syncs
/// check at most every `drainCheckInterval`; `reapDrained()` checks now.
///
/// Ownership: a kernel virtual server is ours when its key is in the record, its address is on our
/// dummy interface or in the plan's addresses, or it sits on a node address (or 0.0.0.0/::) on a
/// port in `nodePortRange`. Nothing else is ever touched.
///
/// `netns` names a namespace (`ip netns`) to work in; nil means the caller's own, e.g. when
/// switchyard itself runs under `ip netns exec node-a`.
public actor IPVSApplier: ProxyApplier {
    public nonisolated let name = "ipvs"
    public let options: IPVSApplierOptions
    public let netns: String?
    private let makeKernel: @Sendable () throws -> any IPVSKernel
    private let tools: any IPVSHostTools
    private let now: @Sendable () -> ContinuousClock.Instant
    private var kernelHandle: (any IPVSKernel)?
    private var linkIndex: Int32?
    private var needsFull = true
    private var lastDrainCheck: ContinuousClock.Instant?
    /// When each family's ruleset was last restored or read back intact.
    private var iptablesVerified: [IPFamily: ContinuousClock.Instant] = [:]

    /// What the kernel holds according to the last successful sync (plan and reference counts);
    /// nil before the first full sync and after a failure.
    public private(set) var record: IPVSPlanIndex?
    /// Wall time of each phase of the last full sync (for logs and benchmarks).
    public private(set) var lastFullSyncPhases: [(phase: String, seconds: Double)] = []
    private var phaseStart = ContinuousClock.now

    private func phase(_ name: String) {
        let t = ContinuousClock.now
        lastFullSyncPhases.append((name, (t - phaseStart).seconds))
        phaseStart = t
    }

    /// TCP real servers left at weight 0, with the instant after which they are deleted regardless.
    public private(set) var draining: [RenderIPVS.IPVSServiceKey: [IPVSDestinationKey: ContinuousClock.Instant]] = [:]

    /// The real applier: netlink sockets opened in `netns`, tools run through `ip netns exec`.
    /// - Parameter iptables: `iptables` or `iptables-legacy` (ip6tables derived).
    public init(options: IPVSApplierOptions = IPVSApplierOptions(), netns: String? = nil, iptables: String = "iptables") {
        self.init(options: options, netns: netns, kernel: { try NetlinkIPVSKernel(netns: netns) },
                  tools: ProcessHostTools(netns: netns, iptables: iptables))
    }

    /// With injected kernel, tools and clock (tests).
    public init(options: IPVSApplierOptions, netns: String?, kernel: @escaping @Sendable () throws -> any IPVSKernel,
                tools: any IPVSHostTools, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.options = options; self.netns = netns; makeKernel = kernel; self.tools = tools; now = clock
    }

    // MARK: full

    public func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        let started = ContinuousClock.now
        lastFullSyncPhases = []
        phaseStart = started
        let previous = record
        record = nil
        needsFull = true
        let k = try step("netlink") { try kernel() }
        try writeSysctls()
        phase("sysctls")
        let link = try step("dummy interface \(options.dummyInterface)") { try k.ensureDummyLink(named: options.dummyInterface) }
        linkIndex = link
        var render = options.render
        render.localAddresses = try step("address dump") { try k.localAddresses(excludingLinkIndex: link) }
        let index = IPVSPlanIndex(state: state, options: render)
        let plan = index.plan
        phase("plan")

        let kernelSets = try step("ipset list") { try k.ipsets(named: IPVSSetSync.ourNames) }
        let setCommands = IPVSSetSync.full(plan, kernel: kernelSets)
        try executeSets(setCommands, on: k)
        phase("ipset")
        try syncIptables(plan, previous: previous?.plan)
        try executeSets(IPVSSetSync.stale(plan, kernel: kernelSets).map { .destroy($0) }, on: k)

        // IPv4 addresses an older version held go first: deleting the last one drops our routes too.
        _ = try step("address migration") { try k.removeIPv4Addresses(ofLinkIndex: link) }
        let onLink = Set(try step("address dump") { try k.addresses(ofLinkIndex: link) })
        let toAdd = plan.addresses.subtracting(onLink).sorted()
        try addressFailures(try k.addAddresses(toAdd, toLinkIndex: link), toAdd, ignoring: 17, "add") // EEXIST
        phase("addresses")

        let kernelServices = try step("IPVS service dump") { try k.services() }
        phase("service dump")
        let owned = ownership(plan: plan, previous: previous?.plan, dummyAddresses: onLink, state: state, local: render.localAddresses)
        // One read of every real server when the kernel offers it, else one dump per service.
        let bulk = kernelServices.isEmpty ? [:] : try step("IPVS destination table") { try k.allDestinations() }
        let result = try step("IPVS destination dump") {
            try IPVSReconciler(plan: plan, owned: owned).reconcile(kernel: kernelServices) { key in
                if let listed = bulk?[key] { return listed }
                return try k.destinations(of: key) // not in the table (see IPVSProcTable)
            }
        }
        phase("destination dumps + compare")
        try execute(result.commands, on: k)
        phase("IPVS commands")

        let toDelete = onLink.subtracting(plan.addresses).sorted()
        try addressFailures(try k.deleteAddresses(toDelete, fromLinkIndex: link), toDelete, ignoring: 99, "delete") // EADDRNOTAVAIL

        // The drain list follows the kernel: only real servers the reconcile found unplanned stay.
        var drains: [RenderIPVS.IPVSServiceKey: [IPVSDestinationKey: ContinuousClock.Instant]] = [:]
        let deadline = now() + options.gracePeriod
        for (s, d) in result.drains { drains[s, default: [:]][d] = draining[s]?[d] ?? deadline }
        draining = drains
        record = index
        needsFull = false
        let seconds = (ContinuousClock.now - started).seconds
        _ = try reap(services: nil)
        phase("address deletes + drain check")
        let drift = previous.map { driftCount(previous: $0.plan, plan: plan, commands: result.commands.count,
                                              addressChanges: toAdd.count + toDelete.count) } ?? 0
        return ApplyReport(full: true, rulesWritten: plan.virtualServers.count, elementsWritten: result.commands.count + toAdd.count + toDelete.count,
                           bytes: 0, kernelSeconds: seconds, driftRepaired: drift)
    }

    // MARK: incremental

    public func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        guard !needsFull, !diff.requiresFullSync, var index = record, let link = linkIndex else { return try await applyFull(state) }
        record = nil // keep the index uniquely referenced: its update is then O(change)
        needsFull = true
        let started = ContinuousClock.now
        let ops = index.apply(diff, state: state)
        let batch = IPVSIncrementalBatch(ops, draining: { [draining] s, d in draining[s]?[d] != nil })
        guard batch.iptables.isEmpty else { return try await applyFull(state) }
        let k = try step("netlink") { try kernel() }
        try executeSets(IPVSSetSync.commands(batch.ipsetBefore), on: k)
        try addressFailures(try k.addAddresses(batch.addressesToAdd, toLinkIndex: link), batch.addressesToAdd, ignoring: 17, "add")
        try execute(batch.commands, on: k)
        try executeSets(IPVSSetSync.commands(batch.ipsetAfter), on: k)
        try addressFailures(try k.deleteAddresses(batch.addressesToDelete, fromLinkIndex: link), batch.addressesToDelete, ignoring: 99, "delete")

        for (s, d) in batch.undrained { draining[s]?[d] = nil }
        for s in batch.servicesDeleted { draining[s] = nil }
        let deadline = now() + options.gracePeriod
        for (s, d) in batch.drains { draining[s, default: [:]][d] = deadline }
        draining = draining.filter { !$0.value.isEmpty }
        record = index
        needsFull = false
        let seconds = (ContinuousClock.now - started).seconds
        // Newly drained real servers without connections go at once (as kube-proxy does).
        if !batch.drains.isEmpty { _ = try reap(services: Set(batch.drains.map(\.0))) }
        if let last = lastDrainCheck, now() - last >= options.drainCheckInterval { _ = try reap(services: nil) }
        return ApplyReport(full: false, rulesWritten: batch.commands.count { if case .newService = $0 { true } else { false } },
                           elementsWritten: ops.count, kernelSeconds: seconds)
    }

    // MARK: drain

    /// Checks every draining real server now; deletes those without (active) connections or past
    /// their grace period. Returns how many were deleted.
    @discardableResult
    public func reapDrained() throws -> Int { try reap(services: nil) }

    private func reap(services: Set<RenderIPVS.IPVSServiceKey>?) throws -> Int {
        if services == nil { lastDrainCheck = now() }
        guard !draining.isEmpty else { return 0 }
        let k = try kernel()
        let t = now()
        var commands: [IPVSCommand] = []
        for (s, pending) in draining where services?.contains(s) ?? true {
            let key = IPVSConversion.kernelKey(s)
            let entries: [IPVSDestinationEntry]
            do { entries = try k.destinations(of: key) } catch NetlinkError.kernel(let e, _) where e == 3 || e == 2 {
                draining[s] = nil; continue
            }
            var byKey: [IPVSDestinationKey: IPVSDestinationEntry] = [:]
            for e in entries { byKey[IPVSConversion.destinationKey(e.destination)] = e }
            for (d, deadline) in pending {
                guard let e = byKey[d], e.destination.weight == 0 else { draining[s]?[d] = nil; continue }
                let busy = e.activeConnections > 0 || (options.waitForInactiveConnections && e.inactiveConnections > 0)
                if !busy || t >= deadline {
                    commands.append(.deleteDestination(key, e.destination))
                    draining[s]?[d] = nil
                }
            }
            if draining[s]?.isEmpty ?? false { draining[s] = nil }
        }
        try execute(commands, on: k, tolerating: [2, 3]) // already gone
        return commands.count
    }

    // MARK: cleanup

    /// Removes our virtual servers (by the ownership rule), the dummy interface, our ipsets and our
    /// iptables chains and jumps. Safe to run when nothing of ours exists.
    public func cleanup() async throws {
        let k = try step("netlink") { try kernel() }
        let link = try k.linkIndex(named: options.dummyInterface)
        let onLink = Set(try link.map { try k.addresses(ofLinkIndex: $0) } ?? [])
        let local = Set(try k.localAddresses(excludingLinkIndex: link))
        let recorded = Set(record?.plan.virtualServers.keys.map(IPVSConversion.kernelKey) ?? [])
        let services = try k.services().filter { s in
            if recorded.contains(s.key) { return true }
            guard case let .address(_, a, port) = s.key else { return false }
            return onLink.contains(a) || ((local.contains(a) || a.isUnspecified) && options.nodePortRange.contains(port))
        }
        try execute(services.map { .deleteService($0.key) }, on: k, tolerating: [2, 3])
        if link != nil { try k.deleteLink(named: options.dummyInterface) }
        for f in IPFamily.allCases { try removeIptables(f) }
        let ours = IPVSSetSync.ourNames
        let existing = (try? k.ipsetNames()) ?? []
        try executeSets(existing.filter { ours.contains($0) }.map { .destroy($0) }, on: k, tolerating: [2]) // ENOENT
        record = nil; needsFull = true; draining = [:]; linkIndex = nil; iptablesVerified = [:]
    }

    // MARK: helpers

    private func kernel() throws -> any IPVSKernel {
        if let kernelHandle { return kernelHandle }
        let k = try makeKernel()
        kernelHandle = k
        return k
    }

    /// Runs `body`, turning any error into an `ApplyError` naming `operation`.
    private func step<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as ApplyError { throw e } catch {
            if case let NetlinkError.kernel(errno, message) = error {
                throw ApplyError(backend: name, operation: operation, message: message ?? "\(error)", errno: errno)
            }
            throw ApplyError(backend: name, operation: operation, message: "\(error)")
        }
    }

    /// Sends IPVS commands; a create that meets an existing real server becomes a weight change.
    private func execute(_ commands: [IPVSCommand], on k: any IPVSKernel, tolerating: Set<Int32> = []) throws {
        try execute(IPVSCommandList(commands), on: k, tolerating: tolerating)
    }

    private func execute(_ commands: IPVSCommandList, on k: any IPVSKernel, tolerating: Set<Int32> = []) throws {
        guard !commands.isEmpty else { return }
        var failures = try step("IPVS netlink batch") { try k.execute(commands) }
        let retries: [IPVSCommand] = failures.compactMap {
            if case let .newDestination(s, d) = $0.command, $0.errno == 17 { return .setDestination(s, d) }
            return nil
        }
        failures.removeAll { tolerating.contains($0.errno) || ($0.errno == 17 && { if case .newDestination = $0.command { true } else { false } }($0)) }
        if !retries.isEmpty { failures += try step("IPVS netlink batch") { try k.execute(retries) } }
        if let first = failures.first {
            throw ApplyError(backend: name, operation: "IPVS netlink batch (\(failures.count) of \(commands.count) refused)",
                             message: first.description, line: first.index + 1, lineText: first.command.description, errno: first.errno)
        }
    }

    /// Sends ipset commands; any refusal fails the sync with the set and member named.
    private func executeSets(_ commands: [IPSetCommand], on k: any IPVSKernel, tolerating: Set<Int32> = []) throws {
        guard !commands.isEmpty else { return }
        let failures = try step("ipset netlink batch") { try k.executeIPSet(commands) }.filter { !tolerating.contains($0.errno) }
        if let first = failures.first {
            throw ApplyError(backend: name, operation: "ipset netlink batch (\(failures.count) refused)",
                             message: first.description, line: first.index + 1, lineText: first.command.description, errno: first.errno)
        }
    }

    private func addressFailures(_ failures: [NetlinkOperationFailure], _ addresses: [IPAddress], ignoring: Int32, _ verb: String) throws {
        guard let f = failures.first(where: { $0.errno != ignoring }) else { return }
        throw ApplyError(backend: name, operation: "address \(verb) on \(options.dummyInterface)",
                         message: "\(addresses[f.index]): \(f)", errno: f.errno)
    }

    private func writeSysctls() throws {
        _ = try step("sysctls") { try tools.ensureSysctls(options.sysctls) }
    }

    /// Each configured family's chains and jumps; families configured before but not now lose theirs.
    /// A ruleset this applier restored unchanged and checked within `iptablesVerifyInterval` costs no
    /// process; otherwise one `iptables-save` per family, and the restore only when the save shows a
    /// jump missing or a chain not as restored (or the ruleset changed). A family whose tools prove
    /// it holds no chain of ours (`IPVSHostTools.mayHoldChains`) costs no save (a first sync into a
    /// fresh namespace), and an unconfigured one then no process at all.
    private func syncIptables(_ plan: IPVSPlan, previous: IPVSPlan?) throws {
        for f in plan.iptables.keys.sorted() {
            let r = plan.iptables[f]!
            let tool = f == .ipv4 ? "iptables" : "ip6tables"
            let unchanged = previous?.iptables[f] == r
            if unchanged, let checked = iptablesVerified[f], now() - checked < options.iptablesVerifyInterval { continue }
            iptablesVerified[f] = nil
            // A family without tables needs no save: nothing of ours (no chain, so no jump) is there.
            let save: [String: String]
            if !(try step("\(tool) tables") { try tools.mayHoldChains(f) }) {
                save = [:]
            } else {
                save = try step("\(tool)-save") { try tools.iptablesSave(f) }
                phase("\(tool)-save")
            }
            let missing = IPVSIptablesSync.missing(r.jumps, in: save)
            if missing.isEmpty, unchanged, IPVSIptablesSync.isIntact(r, save: save) {
                iptablesVerified[f] = now()
                continue
            }
            let text = IPVSIptablesSync.text(r, adding: missing)
            try step("\(tool)-restore --noflush") { try tools.iptablesRestore(f, text) }
            iptablesVerified[f] = now()
            phase("\(tool)-restore")
        }
        for f in IPFamily.allCases where plan.iptables[f] == nil { iptablesVerified[f] = nil }
        for f in IPFamily.allCases where plan.iptables[f] == nil && (previous == nil || previous!.iptables[f] != nil) {
            try removeIptables(f)
            phase("\(f == .ipv4 ? "iptables" : "ip6tables") removal check")
        }
    }

    private func removeIptables(_ f: IPFamily) throws {
        guard (try? tools.mayHoldChains(f)) ?? true else { return }
        let save = (try? tools.iptablesSave(f)) ?? [:]
        let text = IPVSIptablesSync.removalText(save: save)
        guard !text.isEmpty else { return }
        try step("\(f == .ipv4 ? "iptables" : "ip6tables")-restore (remove)") { try tools.iptablesRestore(f, text) }
    }

    private func ownership(plan: IPVSPlan, previous: IPVSPlan?, dummyAddresses: Set<IPAddress>, state: ProxyState,
                           local: [IPAddress]) -> (IPVSNetlink.IPVSService) -> Bool {
        let recorded = Set(previous?.virtualServers.keys.map(IPVSConversion.kernelKey) ?? [])
        let vips = plan.addresses.union(dummyAddresses)
        let nodeAddresses = Set(local + state.node.addresses)
        let range = options.nodePortRange
        return { s in
            if recorded.contains(s.key) { return true }
            guard case let .address(_, a, port) = s.key else { return false }
            return vips.contains(a) || ((nodeAddresses.contains(a) || a.isUnspecified) && range.contains(port))
        }
    }

    /// Changes the full sync made beyond those the record predicted (kernel drift repaired).
    private func driftCount(previous: IPVSPlan, plan: IPVSPlan, commands: Int, addressChanges: Int) -> Int {
        var expected = 0
        for op in IPVSPlan.operations(from: previous, to: plan) {
            switch op {
            case .addService, .updateService, .addDestination, .updateDestination, .deleteDestination, .deleteService,
                 .addAddress, .deleteAddress: expected += 1
            default: break
            }
        }
        return max(0, commands + addressChanges - expected)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
