import Diff
import Foundation
import Model

/// Something a renderer derives from a whole state (counts of shared resources, say) and can
/// then follow from one state to the next in O(change).
public protocol StateFollowing: Sendable {
    /// Derived from every port of `state`.
    init(_ state: ProxyState)
    /// Follows `diff` (from the state this value describes to the next one).
    mutating func apply(_ diff: StateDiff)
}

/// A `StateFollowing` value made of per-port contributions that add up (use counts of shared
/// resources): it says what one port contributes; deriving it from a state and following a diff
/// are defined here once.
public protocol PortCounting: StateFollowing {
    init()
    /// Adds `n` (1 or -1) times what `p` contributes.
    mutating func count(_ p: ServicePort, by n: Int)
}

extension PortCounting {
    public init(_ state: ProxyState) {
        self.init()
        // Ports read in place: copying each out of the state retains its strings and arrays.
        for (_, svc) in state.services {
            for i in svc.ports.indices { count(svc.ports[i], by: 1) }
        }
    }

    public mutating func apply(_ diff: StateDiff) {
        for p in diff.removed { count(p, by: -1) }
        for c in diff.changed { count(c.old, by: -1); count(c.new, by: 1) }
        for p in diff.added { count(p, by: 1) }
    }
}

extension Dictionary where Value == Int {
    /// Adds `n` to `key`'s count; a count that reaches zero (or less) is removed.
    public mutating func addCount(_ n: Int, to key: Key) {
        let v = (self[key] ?? 0) + n
        self[key] = v > 0 ? v : nil
    }
}

/// What a renderer remembers so that an incremental render can use a `StateFollowing` value of
/// the state it renders in O(change): the last state it rendered and, once an incremental render
/// needed it, that value. The value is followed only when the remembered state with the diff
/// applied equals the state being rendered; otherwise it is derived again from the new state when
/// needed, so the output is the same function of `(diff, state)` with or without the memo. Every
/// copy of a renderer shares one memo; a caller that renders unrelated states only loses the speed-up.
public final class StateFollowingMemo<Value: StateFollowing>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: ProxyState?
    private var value: Value?

    public init() {}

    /// A full render of `state`: the value is derived when an incremental render first needs it.
    public func rendered(_ state: ProxyState) { keep(nil, for: state) }

    /// The remembered value moved forward by `diff` to `state`, or nil when there is none or it
    /// belongs to another state. The memo is empty until `keep`.
    public func take(following diff: StateDiff, to state: ProxyState) -> Value? {
        lock.lock(); defer { lock.unlock() }
        defer { self.state = nil; value = nil }
        guard var v = value, let s = self.state, s.applying(diff) == state else { return nil }
        value = nil // uniquely referenced while it follows the diff
        v.apply(diff)
        return v
    }

    /// Remembers `state` and its value (nil: not derived).
    public func keep(_ value: Value?, for state: ProxyState) {
        lock.lock(); defer { lock.unlock() }
        self.state = state; self.value = value
    }
}
