import Diff
import Model

/// The diff the engine hands to an incremental apply.
///
/// TEMPORARY local copy: `StateDiff.between(old:new:services:nodeChanged:)` is on the `diffsynth`
/// branch, not yet on main. Once merged, the body becomes a call to it and this file can go.
enum SyncDiff {
    static func between(old: ProxyState, new: ProxyState, services: Set<ServiceName>, nodeChanged: Bool) -> StateDiff {
        var diff = StateDiff(requiresFullSync: nodeChanged || old.config != new.config)
        for name in services {
            let before = old.services[name], after = new.services[name]
            if before == after { continue }
            var previous: [ServicePortKey: ServicePort] = [:]
            for port in before?.ports ?? [] { previous[port.key] = port }
            for port in after?.ports ?? [] {
                if let was = previous.removeValue(forKey: port.key) {
                    if was != port { diff.changed.append(PortChange(old: was, new: port)) }
                } else {
                    diff.added.append(port)
                }
            }
            diff.removed.append(contentsOf: previous.values)
        }
        diff.added.sort { $0.key < $1.key }
        diff.removed.sort { $0.key < $1.key }
        diff.changed.sort { $0.new.key < $1.new.key }
        return diff
    }
}
