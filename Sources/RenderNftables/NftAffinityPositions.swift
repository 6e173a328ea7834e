import Model
import SwitchyardCore
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

/// A frontend on one path, as the kernel's position maps hold it.
public struct NftPositionKey: Hashable, Sendable {
    public var path: NftPath
    public var frontend: NftFrontend
    public init(path: NftPath, frontend: NftFrontend) { self.path = path; self.frontend = frontend }
}

/// An endpoint as a position map holds it (`address . port`).
public struct NftPositionEndpoint: Hashable, Sendable {
    public var ip: IPAddress
    public var port: UInt16
    public init(ip: IPAddress, port: UInt16) { self.ip = ip; self.port = port }
}

/// What one family's table holds in its position maps: per frontend and path, position → endpoint.
public typealias NftKernelPositions = [NftPositionKey: [Int: NftPositionEndpoint]]

extension NftablesRenderer {
    /// Makes the renderer remember the endpoint positions that `kernel` (per family, read back from
    /// the position maps of a table a previous Switchyard process loaded) holds for the affinity
    /// ports of `state`, so the first full sync after a restart keeps clients on their endpoints
    /// instead of starting from sorted order. A port's list is taken from the first of its
    /// frontends whose positions are dense (0..N-1); ports without one are left as they are.
    public func rememberAffinityPositions(_ state: ProxyState, kernel: [NftFamily: NftKernelPositions]) {
        var changes: [ServicePortKey: NftAffinityPositions?] = [:]
        for (_, svc) in state.services { for p in svc.ports where p.affinityTimeout != nil {
            guard let table = kernel[NftFamily(p.key.family)], !table.isEmpty else { continue }
            var found: NftAffinityPositions = [:]
            for (path, fe, decision) in NftPortObjects.frontends(p) {
                guard case .forward(let list) = decision, found[list] == nil,
                      let byPosition = table[NftPositionKey(path: path, frontend: fe)],
                      byPosition.keys.sorted() == Array(0..<byPosition.count) else { continue }
                let current = p.endpoints(for: decision)
                found[list] = (0..<byPosition.count).map { k in
                    let e = byPosition[k]!
                    return current.first { $0.ip == e.ip && $0.port == e.port } ?? Endpoint(ip: e.ip, port: e.port, isLocal: false)
                }
            }
            if !found.isEmpty { changes[p.key] = .some(found) }
        } }
        memo.update(changes)
    }
}
