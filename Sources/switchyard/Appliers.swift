import Apply
import ApplyIPVS
import ApplyIptables
import ApplyNftables
import ArgumentParser
import Sync

/// Maps a backend name to its applier (the I/O half), so `run` and `cleanup` stay backend-neutral.
/// A backend whose applier exists is listed in `available`; add it there and in `make`.
enum Appliers {
    /// Backends that can program the kernel today, in the order `cleanup --backend all` visits them.
    static let available: [BackendName] = [.nftables, .iptables, .ipvs]

    /// A fresh applier for `backend`, or a validation error naming the backends that exist.
    static func make(_ backend: BackendName, options: ApplierOptions = ApplierOptions()) throws -> any ProxyApplier {
        switch backend {
        case .nftables: return NftablesApplier()
        case .iptables: return IptablesApplier(variant: options.iptablesVariant)
        case .ipvs:
            // Its iptables rules go through the same variant as the iptables backend's.
            return IPVSApplier(iptables: options.iptablesVariant.map { "iptables-\($0.rawValue)" } ?? "iptables")
        }
    }

    /// Throws the `make` error for a backend that cannot apply yet (for `validate()`).
    static func requireAvailable(_ backend: BackendName) throws {
        if !available.contains(backend) { _ = try make(backend) }
    }

    static var availableList: String { available.map(\.rawValue).joined(separator: ", ") }
}

/// The IPVS applier keeps removed TCP real servers draining at weight 0; the sync engine asks it to
/// delete the finished ones (`SyncEngine.drainReapInterval`).
extension IPVSApplier: DrainReaper {}
