import Model
import SwitchyardCore

/// Which shared recent-client set each endpoint of a ClientIP-affinity port uses.
///
/// The kernel looks up a set by name with a linear walk over the table's sets, so kube-proxy's one
/// set per affinity endpoint makes loading a table quadratic in their number (3.5 s of `nft -f` for
/// the bench's 500 affinity services). Instead an endpoint records its clients in one of `count`
/// shared slot sets per family and key kind, keyed `client . frontend`: its slot is a stable hash
/// of port and endpoint, so it keeps it while it exists. An endpoint whose slot another endpoint
/// of the same port also hashes to keeps a set of its own (`NftNames.affinitySet`), so no slot
/// ever stands for two live endpoints of one port.
struct NftAffinitySlots {
    /// Shared slot sets per family and key kind.
    static let count: UInt64 = 128

    private var slots: [Endpoint: Int] = [:]

    /// No slots (ports without affinity).
    init() {}

    /// Slots of the distinct endpoints of `port` (cluster and local lists together).
    init(_ port: ServicePort) {
        var bySlot: [Int: [Endpoint]] = [:]
        for ep in Set(port.clusterEndpoints + port.localEndpoints) {
            bySlot[Self.hashSlot(port.key, ep), default: []].append(ep)
        }
        for (s, eps) in bySlot where eps.count == 1 { slots[eps[0]] = s }
    }

    /// The shared slot of `ep`, or nil when it needs its own set.
    func slot(of ep: Endpoint) -> Int? { slots[ep] }

    static func hashSlot(_ key: ServicePortKey, _ ep: Endpoint) -> Int {
        Int(StableHash.of(String(key.stableID), ep.description) % count)
    }
}
