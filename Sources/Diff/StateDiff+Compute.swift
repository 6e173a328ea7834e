import Model

extension StateDiff {
    /// The diff between two states, looking only at the listed services.
    ///
    /// The caller (the state tracker) knows which services its last batch of object events
    /// touched; every other service is taken to be unchanged, so the cost is proportional to
    /// the listed services and their ports, never to the cluster size. Ports are matched by
    /// `ServicePortKey`; a port present on both sides with different values is `changed`.
    /// Duplicate names in `services` are ignored.
    ///
    /// - Parameters:
    ///   - old: the state last applied.
    ///   - new: the state to apply.
    ///   - services: the services that may differ between `old` and `new`.
    ///   - nodeChanged: the Node object (addresses, zone) changed since `old`.
    /// - Returns: a diff with `added`, `removed` and `changed` sorted by key, and
    ///   `requiresFullSync = nodeChanged || old.config != new.config`.
    public static func between(old: ProxyState, new: ProxyState, services: some Sequence<ServiceName>,
                               nodeChanged: Bool) -> StateDiff {
        var diff = StateDiff(requiresFullSync: nodeChanged || old.config != new.config)
        var seen = Set<ServiceName>()
        for name in services where seen.insert(name).inserted {
            diff.appendPortChanges(old: old.services[name], new: new.services[name])
        }
        diff.sortByKey()
        return diff
    }

    /// The diff between two states over every service: for repair, verification and as the
    /// oracle for `between`.
    ///
    /// Services present on one side only are found with the persistent maps' structural set
    /// operations (shared subtrees are skipped); services on both sides are compared value by
    /// value, which is cheap when their port arrays share storage.
    /// `requiresFullSync` is true when the config or the node info differ.
    public static func full(old: ProxyState, new: ProxyState) -> StateDiff {
        var diff = StateDiff(requiresFullSync: old.config != new.config || old.node != new.node)
        // Identical or structurally equal maps: nothing to compare port by port.
        if old.services == new.services { return diff }

        for name in old.services.keys.subtracting(new.services.keys) {
            diff.appendPortChanges(old: old.services[name], new: nil)
        }
        for name in new.services.keys.subtracting(old.services.keys) {
            diff.appendPortChanges(old: nil, new: new.services[name])
        }
        for (name, oldService) in old.services {
            guard let newService = new.services[name], newService != oldService else { continue }
            diff.appendPortChanges(old: oldService, new: newService)
        }
        diff.sortByKey()
        return diff
    }

    /// Adds the port-level differences between two versions of one service (either may be absent).
    mutating func appendPortChanges(old: ServiceState?, new: ServiceState?) {
        switch (old, new) {
        case (nil, nil):
            return
        case (nil, let new?):
            added.append(contentsOf: new.ports)
        case (let old?, nil):
            removed.append(contentsOf: old.ports)
        case (let old?, let new?):
            if old == new { return }
            var previous: [ServicePortKey: ServicePort] = [:]
            previous.reserveCapacity(old.ports.count)
            for port in old.ports { previous[port.key] = port }
            for port in new.ports {
                if let before = previous.removeValue(forKey: port.key) {
                    if before != port { changed.append(PortChange(old: before, new: port)) }
                } else {
                    added.append(port)
                }
            }
            removed.append(contentsOf: previous.values)
        }
    }

    /// Puts every list in `ServicePortKey` order.
    mutating func sortByKey() {
        added.sort { $0.key < $1.key }
        removed.sort { $0.key < $1.key }
        changed.sort { $0.new.key < $1.new.key }
    }
}
