import Diff
import Model

/// A backend's I/O half: sends rendered rules to the kernel. Implementations: nftables, iptables, IPVS.
///
/// A plain `Sendable` protocol with `async` requirements, so a backend may be a struct, a final class
/// with its own locking, or an actor (an actor implements `name` as `nonisolated`). `SyncEngine`
/// never calls an applier concurrently with itself: one call finishes before the next starts.
public protocol ProxyApplier: Sendable {
    /// Short backend name for logs and metric labels (`nftables`, `iptables`, `ipvs`).
    var name: String { get }

    /// Applies everything: first sync, periodic resync, and every retry after a failure. Must be
    /// atomic where the backend allows it (one `nft -f` transaction, one `iptables-restore`), and must
    /// remove whatever the backend owns that `state` does not contain.
    func applyFull(_ state: ProxyState) async throws -> ApplyReport

    /// Applies only `diff`; `state` is the new state (for context such as dispatch rules).
    /// Never called with `diff.requiresFullSync` or an empty diff.
    func applyIncremental(_ diff: StateDiff, state: ProxyState) async throws -> ApplyReport
}

/// What one apply did, for logs and metrics. Fields a backend cannot measure stay zero / nil.
public struct ApplyReport: Hashable, Sendable {
    /// Rules (or IPVS virtual/real servers) written in this apply.
    public var rulesWritten: Int
    /// Set / map / ipset elements written in this apply.
    public var elementsWritten: Int
    /// Rules the backend owns after this apply, if it knows.
    public var rulesTotal: Int?
    /// Bytes handed to the kernel or the tool (netlink messages, restore script).
    public var bytesSent: Int
    /// Time the kernel or tool took to commit (seconds), if measured separately from rendering.
    public var kernelTime: Double?

    public init(rulesWritten: Int = 0, elementsWritten: Int = 0, rulesTotal: Int? = nil, bytesSent: Int = 0,
                kernelTime: Double? = nil) {
        self.rulesWritten = rulesWritten; self.elementsWritten = elementsWritten; self.rulesTotal = rulesTotal
        self.bytesSent = bytesSent; self.kernelTime = kernelTime
    }
}
