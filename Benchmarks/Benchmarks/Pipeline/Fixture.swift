import Diff
import Foundation
import KubeObjects
import Model
import Render
import RenderIPVS
import RenderIptables
import RenderNftables
import SwitchyardCore
import Synthetic

/// The benchmarked cluster: 10,000 services × 10 endpoints per slice, the default service mix.
enum Scale {
    static let services = 10_000
    static let endpointsPerService = 10
    static let seed: UInt64 = 20_240_601
    /// Pre-generated changes for the incremental benchmarks (one per iteration).
    static let changes = 1_200
}

/// The three backends' renderers, behind one type so each benchmark is written once.
enum Backend: String, CaseIterable, Sendable {
    case nftables, iptables, ipvs

    /// Full render, reduced to what the applier consumes (so lazy work is measured too): text for
    /// iptables and IPVS; for nftables the typed elements (netlink encodes their values) and the
    /// script of everything else (`nftablesText` measures the whole script: dry-run, nft fallback).
    func renderFull(_ state: ProxyState, with r: Renderers = Renderers()) -> Int {
        switch self {
        case .nftables:
            var t = r.nftables.renderFull(state).transaction
            var elements = 0
            t.commands = t.commands.filter {
                guard case .addElements(_, _, let els) = $0 else { return true }
                elements += els.count
                return false
            }
            return t.text.utf8.count &+ elements
        case .iptables: return r.iptables.renderFull(state).text.utf8.count
        case .ipvs: return r.ipvs.renderFull(state).text.utf8.count
        }
    }

    /// The whole nftables script of a full render (`switchyard dry-run`, the `nft -f` fallback).
    static func nftablesText(_ state: ProxyState) -> Int { NftablesRenderer().renderFull(state).text.utf8.count }

    /// Incremental render of `diff`, reduced to its text. The renderers are the ones that
    /// rendered the previous state, as in a running proxy (IPVS keeps its plan index between
    /// renders).
    func renderIncremental(_ diff: StateDiff, state: ProxyState, with r: Renderers) -> Int {
        switch self {
        case .nftables: return r.nftables.renderIncremental(diff, state: state).text.utf8.count
        case .iptables: return r.iptables.renderIncremental(diff, state: state).text.utf8.count
        case .ipvs: return r.ipvs.renderIncremental(diff, state: state).text.utf8.count
        }
    }
}

/// One renderer per backend.
struct Renderers: Sendable {
    let nftables = NftablesRenderer()
    let iptables = IptablesRenderer()
    let ipvs = IPVSRenderer()
}

/// Inputs built once per process (Swift globals are initialised lazily and thread-safely).
struct Fixture: Sendable {
    let cluster: SyntheticCluster
    let objects: [KubeObject]
    let events: [ObjectEvent]
    let json: Data
    let config: NodeConfig

    init() {
        cluster = SyntheticCluster(seed: Scale.seed, services: Scale.services,
                                   endpointsPerService: Scale.endpointsPerService)
        objects = cluster.objects()
        events = objects.map { ObjectEvent.upsert($0) }
        json = (try? ManifestWriter.json(objects)) ?? Data()
        config = NodeConfig(nodeName: cluster.nodeName,
                            clusterCIDRs: [SyntheticCluster.clusterCIDR, SyntheticCluster.clusterCIDRv6].compactMap { CIDR($0) })
    }

    /// A tracker holding the whole cluster, committed.
    func committedTracker() -> ProxyStateTracker {
        var tracker = ProxyStateTracker(config: config)
        tracker.apply(events)
        _ = tracker.commit()
        return tracker
    }

    /// `count` changes of one kind, each the watch events of one logical change.
    func changes(_ kind: ChurnGenerator.Kind, count: Int = Scale.changes) -> [[ObjectEvent]] {
        var churn = ChurnGenerator(cluster: cluster, kind: kind, seed: Scale.seed &+ 7)
        return churn.changes(count)
    }
}

let fixture = Fixture()
/// The committed state of the whole cluster.
let builtState = fixture.committedTracker().state

/// A mutable tracker shared by the iterations of one benchmark (benchmarks run one at a time).
final class TrackerBox: @unchecked Sendable {
    var tracker: ProxyStateTracker?
    var next = 0
    let changes: [[ObjectEvent]]
    let renderers = Renderers()
    init(changes: [[ObjectEvent]]) { self.changes = changes }

    /// The committed tracker, built (and rendered in full by `backend`) on first use.
    func prepared(_ backend: Backend) {
        guard tracker == nil else { return }
        tracker = fixture.committedTracker()
        _ = backend.renderFull(tracker!.state, with: renderers)
    }

    /// The next change (wrapping: a repeated upsert of an endpoint change is still a valid event).
    func nextChange() -> [ObjectEvent] {
        defer { next += 1 }
        return changes[next % changes.count]
    }
}

/// One sync of a change: commit, diff and incremental render; returns a checksum.
func sync(_ events: [ObjectEvent], box: TrackerBox, backend: Backend) -> Int {
    box.tracker!.apply(events)
    let changes = box.tracker!.commit()
    let diff = StateDiff.between(old: changes.previous, new: changes.state, services: changes.changedServices,
                                 nodeChanged: changes.nodeChanged)
    return diff.count &+ backend.renderIncremental(diff, state: changes.state, with: box.renderers)
}

/// The events that undo an add: a delete of every upserted object.
func deletions(of events: [ObjectEvent]) -> [ObjectEvent] {
    events.compactMap { if case .upsert(let o) = $0 { return .delete(o.ref) } else { return nil } }
}
