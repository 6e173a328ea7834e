import Model
import Synchronization

/// The positions of one ClientIP-affinity port's endpoints: per endpoint list (cluster, local),
/// the distinct endpoints in position order (position k = index k; dense 0..N-1).
public typealias NftAffinityPositions = [EndpointSet: [Endpoint]]

extension Array where Element == Endpoint {
    /// The positions of `current` (an endpoint list, duplicates ignored) that follow `previous`
    /// (the positions of the same list before; nil: none, sorted order): an endpoint that stays
    /// keeps its position; a new endpoint fills the position of a removed one, else takes the
    /// next one; a position left empty is filled by the endpoint at the last position
    /// (swap-remove), so positions stay dense. Clients of the moved endpoint then pick again.
    static func affinityPositions(following previous: [Endpoint]?, current: [Endpoint]) -> [Endpoint] {
        let now = Set(current)
        guard var pos = previous else { return now.sorted() }
        let kept = Set(pos).intersection(now)
        if kept.count == pos.count && kept.count == now.count { return pos }
        var added = now.subtracting(kept).sorted()[...]
        var holes: [Int] = []
        for i in pos.indices where !kept.contains(pos[i]) {
            if let a = added.popFirst() { pos[i] = a } else { holes.append(i) }
        }
        // Highest hole first: the last position is then never itself a hole.
        for h in holes.reversed() {
            if h != pos.count - 1 { pos[h] = pos[pos.count - 1] }
            pos.removeLast()
        }
        pos += added
        return pos
    }
}

/// What an `NftablesRenderer` remembers between renders: the endpoint positions of every
/// ClientIP-affinity port it last rendered, so that positions stay stable across incremental
/// AND full renders (a periodic full resync does not reshuffle clients). A fresh renderer
/// (restart, dry-run) starts from sorted order. The output is a function of (state, memo).
/// Every copy of a renderer shares one memo.
final class NftAffinityMemo: Sendable {
    private let positions = Mutex<[ServicePortKey: NftAffinityPositions]>([:])

    /// The remembered positions of `key`.
    func get(_ key: ServicePortKey) -> NftAffinityPositions? { positions.withLock { $0[key] } }

    /// Replaces every entry (a full render).
    func replaceAll(_ all: [ServicePortKey: NftAffinityPositions]) { positions.withLock { $0 = all } }

    /// Sets (or with nil removes) the entries of `changes` (an incremental render).
    func update(_ changes: [ServicePortKey: NftAffinityPositions?]) {
        positions.withLock { m in for (k, v) in changes { m[k] = v } }
    }

    /// The positions of `port`'s endpoint lists that follow `previous` (see `affinityPositions`).
    static func positions(of port: ServicePort, following previous: NftAffinityPositions?) -> NftAffinityPositions {
        var out: NftAffinityPositions = [:]
        for (set, eps) in [(EndpointSet.cluster, port.clusterEndpoints), (.local, port.localEndpoints)] where !eps.isEmpty {
            out[set] = [Endpoint].affinityPositions(following: previous?[set], current: eps)
        }
        return out
    }
}
