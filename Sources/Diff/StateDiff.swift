import Model

/// One service port whose rendering changed: the value last applied and the new one.
public struct PortChange: Hashable, Sendable {
    public var old: ServicePort
    public var new: ServicePort
    public init(old: ServicePort, new: ServicePort) { self.old = old; self.new = new }
}

/// What changed between the last applied `ProxyState` and the new one, port by port.
///
/// Backends render only this; an unchanged port is never rendered again on an incremental sync.
/// When `requiresFullSync` is true (node config or Node object changed), backends re-render everything.
public struct StateDiff: Hashable, Sendable {
    /// Ports that did not exist before, sorted by key.
    public var added: [ServicePort]
    /// Ports that are gone (their last applied values), sorted by key.
    public var removed: [ServicePort]
    /// Ports whose values changed, sorted by key.
    public var changed: [PortChange]
    /// Something global changed (config, node addresses or zone): render in full.
    public var requiresFullSync: Bool

    public init(added: [ServicePort] = [], removed: [ServicePort] = [], changed: [PortChange] = [], requiresFullSync: Bool = false) {
        self.added = added; self.removed = removed; self.changed = changed; self.requiresFullSync = requiresFullSync
    }

    /// Nothing to do.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty && !requiresFullSync }

    /// Number of port-level changes.
    public var count: Int { added.count + removed.count + changed.count }
}
