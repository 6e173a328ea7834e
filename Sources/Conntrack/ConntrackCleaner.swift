#if canImport(Glibc)
import Glibc
#endif
import SwitchyardCore

/// Deletes the conntrack entries a `ConntrackPlan` selects, over ctnetlink.
///
/// For each family that has deletions it dumps the family's table once, matches every entry
/// against the deletions in memory, and deletes each match by its exact tuple, zone and id
/// (one acked request each, sent in batches). Nothing is dumped when there is nothing to delete.
///
/// It acts on the network namespace the process runs in (so `ip netns exec NAME switchyard …`
/// works), or on `/run/netns/NAME` when `netns` is given: the socket is opened on a short-lived
/// thread that entered that namespace, and the process never leaves its own. Needs CAP_NET_ADMIN.
public final class ConntrackCleaner: @unchecked Sendable {
    private let socket: ConntrackSocket
    private var mutex = pthread_mutex_t()

    /// Opens the netlink socket (in `netns` when given). Throws `ConntrackError`.
    public init(netns: String? = nil) throws {
        socket = try ConntrackSocket(netns: netns)
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Deletes every entry matching some deletion; returns how many entries the kernel removed.
    /// Throws `ConntrackError` on a socket or kernel failure (entries deleted before it stay deleted).
    public func apply(_ deletions: [ConntrackDeletion]) throws -> Int {
        try locked {
            var deleted = 0
            for family in IPFamily.allCases {
                let mine = deletions.filter { $0.family == family }
                guard !mine.isEmpty else { continue }
                let matches = Self.select(try socket.dump(family: family), by: mine)
                if !matches.isEmpty { deleted += try socket.delete(matches) }
            }
            return deleted
        }
    }

    /// Every entry of one family in the table (for diagnostics and tests).
    public func entries(family: IPFamily) throws -> [ConntrackEntry] {
        try locked { try socket.dump(family: family) }
    }

    /// The entries some deletion matches, in table order. Deletions are indexed by protocol
    /// and destination port, so the cost is one lookup per entry plus the few filters sharing it.
    public static func select(_ entries: [ConntrackEntry], by deletions: [ConntrackDeletion]) -> [ConntrackEntry] {
        var index: [UInt32: [ConntrackDeletion]] = [:]
        for d in deletions { index[UInt32(d.proto.number) << 16 | UInt32(d.destinationPort), default: []].append(d) }
        return entries.filter { e in
            guard let candidates = index[UInt32(e.proto) << 16 | UInt32(e.original.destination.port)] else { return false }
            return candidates.contains { $0.matches(e) }
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
