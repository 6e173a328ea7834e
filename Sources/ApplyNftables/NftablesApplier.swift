import Apply
import Diff
import Model
import RenderNftables

#if canImport(Glibc)
import Glibc
#endif

/// The nftables backend's I/O half: applies `NftablesRenderer` output to our own tables
/// (`table ip switchyard`, `table ip6 switchyard`) and nothing else.
///
/// Full syncs send the renderer's full transaction (which replaces our tables atomically) through
/// an `nft -f -` process (or in-process libnftables with `transport: .library`); before that, a
/// drift check counts each set's elements in the kernel (netlink dumps) against the record and
/// reports the difference as `driftRepaired`. Incremental syncs send only the renderer's deltas:
/// a delta made only of element adds/deletes on the global sets and maps, affinity chains with
/// their typed rules (`NftRuleCodec`) and chain/set deletions goes to the kernel as one raw
/// nfnetlink batch on a persistent socket (no nft parsing, no cache fetch); anything else (a new
/// per-count chain or set, a new per-endpoint affinity set) goes through nft as one transaction. The applier keeps an
/// `NftRecord` of what it committed; it changes only after the kernel accepted a transaction, and
/// after any failure the next sync is full. `netns` names a namespace to work in: nft runs via
/// `ip netns exec`, and the libnftables context and netlink socket are created on a short-lived
/// thread that `setns()`ed there (the calling process never changes namespace).
public actor NftablesApplier: ProxyApplier {
    public nonisolated let name = "nftables"
    public let renderer: NftablesRenderer
    /// The `nft` binary (looked up in PATH unless absolute).
    public let nftPath: String
    /// Network namespace name (under /run/netns) to work in, or nil for the current one.
    public let netns: String?
    /// How scripts reach the kernel.
    public let transport: NftTransport
    private var library: NftLibrary?
    private var netlink: NftNetlink?
    /// Send element-only deltas as one raw nfnetlink batch (the fast path).
    public let elementFastPath: Bool
    /// Also send affinity chains, their typed rules and sets through the netlink batch (full syncs
    /// and deltas); false leaves them to nft (as before `NftRuleCodec`; for comparison).
    public let ruleFastPath: Bool
    /// Largest netlink batch in bytes; a full load above it is split into several batches
    /// (not atomic, see `NftNetlink.commitLarge`). Nil: one batch, split only if the kernel refuses it.
    public let maxBatchBytes: Int?
    /// Why the last fast full load gave way to one `nft -f` transaction.
    private var fastFailure: String?
    /// Set after a failed apply: the next sync is full.
    private var needsFull = true

    /// How the last full sync reached the kernel, with the time of each step (bench and tests).
    public private(set) var lastFullLoad: NftFullLoad?

    /// What the kernel holds according to our last successful commit; nil before the first
    /// full sync and after a failed one (the next sync is then full).
    public private(set) var record: NftRecord?

    /// - Parameters:
    ///   - renderer: the pure renderer whose output is applied.
    ///   - nftPath: the `nft` binary.
    ///   - netns: a named network namespace (`ip netns`) to apply in; nil applies in the caller's.
    ///   - transport: `.process` (`nft -f -`, the default) or `.library` (in-process libnftables).
    ///     The process is the default: libnftables 1.0.6 waits on its netlink socket with `select()`,
    ///     which aborts the whole process once that socket's descriptor is ≥ FD_SETSIZE (1024), and a
    ///     full load through the process measured no slower. Element deltas use the netlink fast path
    ///     either way.
    public init(renderer: NftablesRenderer = .init(), nftPath: String = "nft", netns: String? = nil,
                transport: NftTransport = .process, elementFastPath: Bool = true, ruleFastPath: Bool = true,
                maxBatchBytes: Int? = nil) {
        self.renderer = renderer; self.nftPath = nftPath; self.netns = netns; self.transport = transport
        self.elementFastPath = elementFastPath; self.ruleFastPath = ruleFastPath; self.maxBatchBytes = maxBatchBytes
    }

    public func applyFull(_ state: ProxyState) async throws -> ApplyReport {
        if record == nil { rememberKernelPositions(state) }
        let out = renderer.renderFull(state)
        let previous = record
        let drift = previous.map(measureDrift) ?? 0
        let clock = ContinuousClock.now
        var bytes: Int
        lastFullLoad = nil
        if let sent = loadFast(out.transaction) { bytes = sent } else {
            var load = NftFullLoad(fast: false)
            load.fallbackReason = fastFailure
            lastFullLoad = load
            // The whole table in one `nft -f` transaction: slow to parse, but atomic and independent
            // of what the kernel holds (the fast path's fallback).
            let text = out.text
            bytes = text.utf8.count
            do { try runScript(text) } catch { record = previous; needsFull = true; throw error }
        }
        let seconds = (ContinuousClock.now - clock).seconds
        record = NftRecord().applying(out.transaction)
        needsFull = false
        return report(out, full: true, bytes: bytes, seconds: seconds, drift: drift)
    }

    public func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport {
        guard let current = record, !needsFull, !diff.requiresFullSync else { return try await applyFull(state) }
        var out = renderer.renderIncremental(diff, state: state)
        if out.needsFullSync { return try await applyFull(state) }
        // Per-count objects (sets, maps, shared chains, dispatch rules) our last commits created stay.
        out.transaction = out.transaction.droppingExisting(sets: { current.tables[$0]?.elements[$1] != nil },
                                                           chains: { current.tables[$0]?.chains.contains($1) == true })
        if out.isEmpty { return ApplyReport(full: false) }
        let clock = ContinuousClock.now
        var bytes = 0
        do {
            if let sent = try sendBatch(out.transaction, record: current) { bytes = sent } else {
                let text = out.text
                bytes = text.utf8.count
                try runScript(text)
            }
        } catch { needsFull = true; throw error }
        let seconds = (ContinuousClock.now - clock).seconds
        record = current.applying(out.transaction)
        return report(out, full: false, bytes: bytes, seconds: seconds)
    }

    public func cleanup() async throws {
        record = nil
        // `add` first so `delete` never fails; touches only our two tables.
        let t = renderer.table
        try runScript("add table ip \(t)\ndelete table ip \(t)\nadd table ip6 \(t)\ndelete table ip6 \(t)\n")
    }

    /// Before the first full sync of this applier (a restart over an existing table): the
    /// renderer learns the ClientIP-affinity endpoint positions the table holds, so clients keep
    /// their endpoints across the restart (`NftablesRenderer.rememberAffinityPositions`). Reads only
    /// the position maps (affinity frontends); does nothing when they cannot be read.
    func rememberKernelPositions(_ state: ProxyState) {
        guard elementFastPath, let nl = try? netlinkSocket() else { return }
        var kernel: [NftFamily: NftKernelPositions] = [:]
        for f in [NftFamily.ip, .ip6] {
            if let p = try? nl.affinityPositions(family: f, table: renderer.table), !p.isEmpty { kernel[f] = p }
        }
        if !kernel.isEmpty { renderer.rememberAffinityPositions(state, kernel: kernel) }
    }

    /// How far the kernel is from `record`: for each of our tables missing, 1 plus its recorded
    /// elements; for each set or map (interval sets excepted), the difference between the recorded
    /// and the kernel's element count (a missing set counts its recorded elements plus 1).
    /// One netlink dump per set, elements counted without decoding. 0 when the check cannot run.
    func measureDrift(_ record: NftRecord) -> Int {
        guard let nl = try? netlinkSocket() else { return 0 }
        var drift = 0
        for (family, table) in record.tables.sorted(by: { $0.key < $1.key }) {
            for (set, want) in table.elements.sorted(by: { $0.key < $1.key }) where !table.intervalSets.contains(set) {
                guard let have = try? nl.elementCount(family: family, table: renderer.table, set: set) else {
                    drift += want + 1; continue
                }
                drift += abs(have - want)
            }
        }
        return drift
    }

    private func netlinkSocket() throws -> NftNetlink {
        if let netlink { return netlink }
        let nl = try NftNetlink(netns: netns)
        netlink = nl
        return nl
    }

    /// The fast full sync (`NftLoadPlan`): skeleton through nft, elements through one netlink
    /// batch, stale objects removed last. Returns the bytes sent, or nil when it could not run
    /// or failed (the caller then replaces the tables with one `nft -f` transaction).
    func loadFast(_ full: NftTransaction) -> Int? {
        fastFailure = nil
        guard elementFastPath else { return nil }
        func fail(_ why: String) -> Int? { fastFailure = why; return nil }
        let nl: NftNetlink
        do { nl = try netlinkSocket() } catch { return fail("netlink socket: \(error)") }
        var inventory: [NftFamily: NftNetlink.Inventory] = [:]
        for f in [NftFamily.ip, .ip6] {
            guard let inv = try? nl.inventory(family: f, table: full.table) else { return fail("inventory dump") }
            inventory[f] = inv
        }
        var timing = NftFullLoad(fast: true)
        var clock = ContinuousClock.now
        func lap() -> Double { let now = ContinuousClock.now; defer { clock = now }; return (now - clock).seconds }
        let plan = NftLoadPlan(full: full, inventory: inventory, loadable: { NftElementCodec.layout($0) != nil },
                               ruleLoadable: ruleFastPath ? { $0.body != nil } : nil)
        timing.inventorySeconds = lap()
        if let why = plan.fallback { return fail(why) }
        let skeleton = plan.skeleton.text
        do { try runScript(skeleton) } catch { return fail("skeleton: \(error)") }
        timing.skeletonSeconds = lap()
        let count = plan.loads.reduce(0) { $0 + ($1.elements.count + 999) / 1000 }
        let chainMessages = plan.chains.reduce(0) { $0 + 1 + $1.rules.count }
        let firstSeq = nl.reserve(count + plan.flushes.count + chainMessages)
        // The flushes first, then the affinity chains and their rules, then the element messages
        // (dispatch elements `goto` those chains): one contiguous batch. `commit` numbers them.
        let flushes = plan.flushes.enumerated().map { i, s in
            NftNetlink.flushMessage(family: s.family, table: full.table, set: s.set, seq: firstSeq &+ UInt32(i))
        }
        guard let chains = NftNetlink.encodeChains(plan.chains, table: full.table, firstSeq: firstSeq &+ UInt32(flushes.count)) else {
            return fail("a rule the codec cannot encode")
        }
        guard let encoded = NftNetlink.encode(plan.loads, firstSeq: firstSeq &+ UInt32(flushes.count + chains.count)) else {
            return fail("an element the codec cannot encode")
        }
        let messages = chains + encoded.messages
        let bytes = encoded.bytes + chains.reduce(0) { $0 + $1.count }
        nl.skip(past: firstSeq &+ UInt32(flushes.count + messages.count))
        timing.encodeSeconds = lap()
        timing.batchChains = plan.chains.count
        do { try nl.commitLarge(flushes + messages, firstSeq: firstSeq, maxBatchBytes: maxBatchBytes) } catch {
            return fail("netlink batch: \(error)")
        }
        timing.batchSeconds = lap()
        var cleanupBytes = 0
        if let cleanup = plan.cleanup {
            let text = cleanup.text
            do { try runScript(text) } catch { return fail("cleanup: \(error)") }
            cleanupBytes = text.utf8.count
            timing.cleanupSeconds = lap()
        }
        lastFullLoad = timing
        return skeleton.utf8.count + bytes + flushes.reduce(0) { $0 + $1.count } + cleanupBytes
    }

    /// The fast path: a delta transaction the codecs know whole (element adds/deletes, affinity
    /// chains with typed rules, chain and set deletions: `NftNetlink.encode(_:firstSeq:setExists:)`)
    /// goes to the kernel as one nfnetlink batch. Returns the bytes sent, or nil when the
    /// transaction needs nft. `record` says which sets exist (an `add set` of one sends nothing).
    func sendBatch(_ t: NftTransaction, record: NftRecord) throws -> Int? {
        guard elementFastPath else { return nil }
        if !ruleFastPath, t.commands.contains(where: { if case .addElements = $0 { return false }
                                                       if case .deleteElements = $0 { return false }
                                                       return true }) { return nil }
        guard let nl = try? netlinkSocket() else { return nil }
        let firstSeq = nl.reserve(0)
        guard let encoded = NftNetlink.encode(t, firstSeq: firstSeq, setExists: { record.tables[$0]?.elements[$1] != nil }) else {
            return nil
        }
        let messages = encoded.messages, bytes = encoded.bytes
        nl.skip(past: firstSeq &+ UInt32(messages.count))
        do { try nl.commit(messages, firstSeq: firstSeq) } catch let r as NftNetlink.Refusal {
            // One message per line of the equivalent script (1000 elements a line), so indexes name lines.
            let line = r.index >= 0 && r.index < encoded.lines.count ? encoded.lines[r.index] + 1 : nil
            throw ApplyError(backend: name, operation: "netlink batch", message: String(cString: strerror(r.errno)),
                             line: line, lineText: line.flatMap { NftErrorParser.lineText(t.text, $0) }, errno: r.errno)
        }
        return bytes
    }

    /// Runs `script` as one `nft -f -` transaction; throws `ApplyError` naming the failing line.
    func runScript(_ script: String) throws {
        if transport == .library {
            if library == nil {
                do { library = try NftLibrary(netns: netns) } catch {
                    throw ApplyError(backend: name, operation: "libnftables", message: "\(error)")
                }
            }
            let failure: String?
            do { failure = try library!.run(script) } catch {
                throw ApplyError(backend: name, operation: "libnftables", message: "\(error)")
            }
            if let err = failure { throw NftErrorParser.error(output: err, script: script, operation: "nft -f") }
            return
        }
        let argv = (netns.map { ["ip", "netns", "exec", $0] } ?? []) + [nftPath, "-f", "-"]
        let r: NftProcess.Result
        do { r = try NftProcess.run(argv, input: script) } catch {
            throw ApplyError(backend: name, operation: "nft -f", message: "\(error)")
        }
        guard r.status == 0 else { throw NftErrorParser.error(output: r.output, script: script, operation: "nft -f") }
    }

    private func report(_ out: NftOutput, full: Bool, bytes: Int, seconds: Double, drift: Int = 0) -> ApplyReport {
        var rules = 0, elements = 0
        for c in out.transaction.commands {
            switch c {
            case .addRule: rules += 1
            case .addElements(_, _, let e), .deleteElements(_, _, let e): elements += e.count
            default: break
            }
        }
        return ApplyReport(full: full, rulesWritten: rules, elementsWritten: elements, bytes: bytes,
                           kernelSeconds: seconds, driftRepaired: drift)
    }
}

/// How a full sync reached the kernel: `fast` (skeleton through nft, elements through one netlink
/// batch: `NftLoadPlan`) or one `nft -f` of the whole render, with the fast path's step times.
public struct NftFullLoad: Hashable, Sendable {
    public var fast: Bool
    /// Inventory dumps + plan.
    public var inventorySeconds = 0.0
    /// Step 1: `nft -f` of the skeleton.
    public var skeletonSeconds = 0.0
    /// Encoding the element messages.
    public var encodeSeconds = 0.0
    /// Step 2: the netlink batch (kernel commit included).
    public var batchSeconds = 0.0
    /// Affinity chains the batch created (with their rules) instead of the skeleton.
    public var batchChains = 0
    /// Step 3: stale objects removed (0 when there were none).
    public var cleanupSeconds = 0.0
    /// Why the fast path was not taken or failed (then the whole render went through `nft -f`).
    public var fallbackReason: String?
    public init(fast: Bool) { self.fast = fast }
}

/// How the applier hands scripts to nftables.
public enum NftTransport: String, Hashable, Sendable {
    /// In-process libnftables with one long-lived context (no process start, cache kept).
    case library
    /// A `nft -f -` process per transaction.
    case process
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
