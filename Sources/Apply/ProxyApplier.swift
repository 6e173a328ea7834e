import Diff
import Model

/// A backend's I/O half: sends a renderer's output to the kernel and keeps an in-memory record of
/// what it committed, so incremental syncs never re-read kernel state.
///
/// Implementations: `NftablesApplier`, `IptablesApplier`, `IPVSApplier`. The sync engine calls one
/// method at a time (never concurrently).
public protocol ProxyApplier: Sendable {
    /// The backend's name (`nftables`, `iptables`, `ipvs`).
    var name: String { get }
    /// Applies everything: first sync, periodic resync, and the sync after a failure. Atomic where
    /// the backend allows it; verifies kernel state against the record and repairs drift.
    func applyFull(_ state: ProxyState) async throws -> ApplyReport
    /// Applies only `diff` (never called when `diff.requiresFullSync`).
    func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport
    /// Removes everything this backend created (and nothing else).
    func cleanup() async throws
}

/// What one apply did, for logs, metrics and the bench runner.
public struct ApplyReport: Hashable, Sendable {
    /// Full or incremental.
    public var full: Bool
    /// Rules (or virtual servers) written in this apply.
    public var rulesWritten: Int
    /// Set/map elements (or real servers, ipset members) written or deleted in this apply.
    public var elementsWritten: Int
    /// Bytes handed to the kernel or the tool.
    public var bytes: Int
    /// Wall time spent in the kernel/tool call alone, seconds.
    public var kernelSeconds: Double
    /// Drift found and repaired by a full sync (0 when kernel state matched the record).
    public var driftRepaired: Int

    public init(full: Bool, rulesWritten: Int = 0, elementsWritten: Int = 0, bytes: Int = 0,
                kernelSeconds: Double = 0, driftRepaired: Int = 0) {
        self.full = full; self.rulesWritten = rulesWritten; self.elementsWritten = elementsWritten
        self.bytes = bytes; self.kernelSeconds = kernelSeconds; self.driftRepaired = driftRepaired
    }
}

/// An apply the kernel or tool refused. The previous rules stay in place (transactions are atomic).
public struct ApplyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Backend name.
    public var backend: String
    /// What failed, e.g. `nft -f` or `iptables-restore`.
    public var operation: String
    /// The tool's or kernel's message.
    public var message: String
    /// The failing line of the input, when the tool names one.
    public var line: Int?
    /// The text of that line, when known.
    public var lineText: String?
    /// errno from the kernel, when known.
    public var errno: Int32?

    public init(backend: String, operation: String, message: String, line: Int? = nil, lineText: String? = nil, errno: Int32? = nil) {
        self.backend = backend; self.operation = operation; self.message = message
        self.line = line; self.lineText = lineText; self.errno = errno
    }

    public var description: String {
        var s = "\(backend): \(operation) failed: \(message)"
        if let line { s += " (input line \(line)" + (lineText.map { ": \($0)" } ?? "") + ")" }
        if let errno { s += " [errno \(errno)]" }
        return s
    }
}
