import Foundation
import Model

/// What an `IPVSRenderer` remembers between calls so that `renderIncremental` costs O(change):
/// the last state it rendered (in full or incrementally) and the `IPVSPlanIndex` of that state.
///
/// A memo, not state the output depends on: an entry is used only when the remembered state with
/// the diff applied equals the state being rendered (and the options are the same), so the output
/// is the same function of `(diff, state)` with or without it. Every copy of a renderer shares one
/// memo; a caller that renders unrelated states with one renderer only loses the speed-up.
final class IPVSRenderMemo: @unchecked Sendable {
    struct Entry: Sendable {
        var state: ProxyState
        var options: IPVSOptions
        /// Built by the full render of `state` (nil only for an entry stored without one; the next
        /// incremental render then builds it).
        var index: IPVSPlanIndex?
    }

    private let lock = NSLock()
    private var entry: Entry?

    /// Removes and returns the entry (a concurrent render then finds none and scans instead).
    func take() -> Entry? {
        lock.lock(); defer { lock.unlock() }
        defer { entry = nil }
        return entry
    }

    /// Whether an entry with an index is remembered.
    var hasIndex: Bool {
        lock.lock(); defer { lock.unlock() }
        return entry?.index != nil
    }

    /// Replaces the entry.
    func store(_ e: Entry?) {
        lock.lock(); defer { lock.unlock() }
        entry = e
    }
}
