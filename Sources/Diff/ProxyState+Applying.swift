import Model

extension ProxyState {
    /// This state with a diff's port changes applied: removed ports are dropped, added and
    /// changed ports are inserted into (or replace the same key in) their service, and a
    /// service left with no ports is dropped. Ports stay sorted by key.
    ///
    /// Only ports are applied: `config` and `node` are kept from `self`, whatever
    /// `requiresFullSync` says (a diff does not carry the new config). Appliers use this to keep
    /// an in-memory record of what they committed; property tests use it to check diffs.
    public func applying(_ diff: StateDiff) -> ProxyState {
        var state = self
        var edits: [ServiceName: (removed: Set<ServicePortKey>, upserted: [ServicePort])] = [:]
        for port in diff.removed { edits[port.key.service, default: ([], [])].removed.insert(port.key) }
        for port in diff.added { edits[port.key.service, default: ([], [])].upserted.append(port) }
        for change in diff.changed {
            // A change that renames its key removes the old one.
            if change.old.key != change.new.key {
                edits[change.old.key.service, default: ([], [])].removed.insert(change.old.key)
            }
            edits[change.new.key.service, default: ([], [])].upserted.append(change.new)
        }
        for (name, edit) in edits {
            var byKey: [ServicePortKey: ServicePort] = [:]
            for port in state.services[name]?.ports ?? [] where !edit.removed.contains(port.key) {
                byKey[port.key] = port
            }
            for port in edit.upserted { byKey[port.key] = port }
            if byKey.isEmpty {
                state.services[name] = nil
            } else {
                state.services[name] = ServiceState(name: name, ports: Array(byKey.values))
            }
        }
        return state
    }
}
