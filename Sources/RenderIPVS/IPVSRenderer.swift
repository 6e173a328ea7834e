import Diff
import Model
import Render
import SwitchyardCore

/// The pure IPVS backend: `ProxyState` → `IPVSPlan` (+ operations).
///
/// How each model decision is realised:
/// - `.forward(set)`: a virtual server (rr or the port's scheduler, masquerade forwarding, weight 1)
///   with those endpoints as real servers. ClusterIP uses `internalTraffic`; NodePort, externalIP and
///   LoadBalancer virtual servers use `externalTraffic`, as kube-proxy's IPVS proxier does.
/// - `.reject` / `.drop`: the virtual server exists with no real servers (so the address stays in
///   the access filter sets) and the (address, proto:port) goes into the REJECT / DROP set (NodePorts:
///   the per-protocol bitmap sets), matched in filter INPUT/OUTPUT before IPVS (LOCAL_IN runs after
///   filter INPUT) for NEW connections. kube-proxy's IPVS mode has neither: an IPVS service without
///   real servers falls through to the local stack.
/// - Masquerade: the CLUSTER-IP set with `ProxyState.clusterMasquerade`, EXTERNAL-IP vs
///   EXTERNAL-IP-LOCAL, LB vs LB-LOCAL and NODE-PORT vs NP-LOCAL sets from `masqueradesExternal`,
///   hairpin through the LOOP-BACK set.
/// - ClientIP affinity: persistent virtual service with `affinityTimeout`.
///
/// What IPVS mode cannot express (documented limitations):
/// - eTP=Local short-circuit (`ServicePort.externalShortCircuit`): one virtual server per
///   (address, proto, port) has a single real-server list, so local pods reaching an eTP=Local
///   external address get the local endpoints (or the DROP) like outside clients. Expressing it
///   would need per-service fwmark virtual servers chosen by source — not done.
/// - Traffic to a ClusterIP on a port the service does not define is REJECTed through IPVS-IPS
///   (kube-proxy's access filter); unallocated service-CIDR addresses are not dropped (no service
///   CIDR in the model, and such addresses are not on the dummy interface).
/// - Every service address is held on `switchyard-ipvs`, so the node itself answers on them
///   (kube-proxy #93456); the access filter limits this to NEW connections on defined ports.
/// - Conflicting claims of one (address, proto, port) by two service ports: the first by key wins
///   in a full render; an incremental render keeps the current owner.
/// - Persistence is per client address only (netmask /32 or /128), as kube-proxy.
public struct IPVSRenderer: ProxyRenderer {
    public var options: IPVSOptions
    /// The last rendered state and its index, so the next incremental render is O(change).
    private let memo = IPVSRenderMemo()

    public init(options: IPVSOptions = IPVSOptions()) { self.options = options }

    /// The desired plan for a state.
    public func plan(_ state: ProxyState) -> IPVSPlan {
        IPVSPlanBuilder(state: state, options: options).plan()
    }

    /// The plan comes from an `IPVSPlanIndex` of `state` (the same plan, plus the reference counts),
    /// which is remembered: the next incremental render then costs O(change) from the first one on,
    /// instead of the first change after a full render paying a pass over every port. (The returned
    /// plan shares storage with the remembered one: a caller that still holds it at the next
    /// incremental render makes that render copy the plan once.)
    public func renderFull(_ state: ProxyState) -> IPVSOutput {
        let index = IPVSPlanIndex(state: state, options: options)
        let p = index.plan
        memo.store(.init(state: state, options: options, index: index))
        return IPVSOutput(fullPlan: p)
    }

    /// True when the renderer remembers an index, so its next incremental render from the last
    /// rendered state needs no pass over every port (for tests).
    var hasMemoisedIndex: Bool { memo.hasIndex }

    /// Operations for the changed ports only. Resources a changed port shares with an unchanged
    /// one (a ClusterIP address, an LB IP, a hairpin entry for an endpoint used by two services, a
    /// health-check port) are kept.
    ///
    /// When this renderer last rendered the state `diff` starts from (checked: that state with
    /// `diff` applied must equal `state`), the operations come from an `IPVSPlanIndex` of it, whose
    /// reference counts answer "is this resource still used?" in O(change); the index is built
    /// by the full render (or, if the memo lacks one, by this render) and then follows every diff.
    /// Otherwise the unchanged ports are scanned once (see `renderIncrementalByScan`).
    public func renderIncremental(_ diff: StateDiff, state: ProxyState) -> IPVSOutput {
        if !diff.requiresFullSync, var e = memo.take(), e.options == options, e.state.applying(diff) == state {
            // Moved out of the entry, so the index's tables are uniquely referenced and change in place.
            var index = e.index ?? IPVSPlanIndex(state: e.state, options: options)
            e.index = nil
            let ops = index.apply(diff, state: state)
            memo.store(.init(state: state, options: options, index: index))
            return IPVSOutput(plan: nil, operations: ops)
        }
        return renderIncrementalByScan(diff, state: state)
    }

    /// `renderIncremental` without an index: when a deletion or addition is a candidate, the
    /// unchanged ports are scanned once to see whether any still contributes it (only ports that
    /// mention one of the candidates' addresses or ports are built; see `IPVSResourceProbe`).
    public func renderIncrementalByScan(_ diff: StateDiff, state: ProxyState) -> IPVSOutput {
        let builder = IPVSPlanBuilder(state: state, options: options)
        var old = builder.skeleton()
        var new = old
        var touched = Set<ServicePortKey>()
        let families = state.config.families
        for p in diff.removed where families.contains(p.key.family) { builder.add(p, to: &old); touched.insert(p.key) }
        for c in diff.changed {
            touched.insert(c.old.key); touched.insert(c.new.key)
            if families.contains(c.old.key.family) { builder.add(c.old, to: &old) }
            if families.contains(c.new.key.family) { builder.add(c.new, to: &new) }
        }
        for p in diff.added where families.contains(p.key.family) { builder.add(p, to: &new); touched.insert(p.key) }
        let candidates = old.resources.symmetricDifference(new.resources)
        if !candidates.isEmpty {
            var kept = builder.skeleton()
            let probe = IPVSResourceProbe(candidates)
            for (_, svc) in state.services {
                // The probe first: it rejects almost every port without copying or hashing it.
                for i in svc.ports.indices where probe.mayContribute(svc.ports[i]) {
                    let p = svc.ports[i]
                    if !touched.contains(p.key) && families.contains(p.key.family) { builder.add(p, to: &kept) }
                }
            }
            for r in kept.resources.intersection(candidates) {
                old.copy(r, from: kept)
                new.copy(r, from: kept)
            }
        }
        return IPVSOutput(plan: nil, operations: IPVSPlan.operations(from: old, to: new))
    }
}

/// What the IPVS renderer produces: the full plan (full renders only) and the operations.
public struct IPVSOutput: RenderedOutput, Hashable {
    /// The whole desired plan; nil for an incremental render.
    public var plan: IPVSPlan?
    /// Steps from nothing (full render) or from the previous state of the changed ports (incremental).
    /// A full render's are derived from its plan when first read: sorting ~150,000 operations of a
    /// 10k-service plan is most of a full render, and neither its text nor an applier needs them.
    public var operations: [IPVSOperation] {
        get { storedOperations ?? plan.map { IPVSPlan.operations(from: nil, to: $0) } ?? [] }
        set { storedOperations = newValue }
    }
    private var storedOperations: [IPVSOperation]?

    public init(plan: IPVSPlan?, operations: [IPVSOperation]) { self.plan = plan; storedOperations = operations }

    /// A full render's output: `operations` are the plan's from nothing, computed when read.
    public init(fullPlan: IPVSPlan) { plan = fullPlan; storedOperations = nil }

    public static func == (a: IPVSOutput, b: IPVSOutput) -> Bool {
        a.plan == b.plan && (a.storedOperations == b.storedOperations || a.operations == b.operations)
    }

    public func hash(into h: inout Hasher) {
        h.combine(plan)
        if plan == nil { h.combine(operations) } // equal plans may come with derived or given operations
    }

    /// Full render: the readable plan. Incremental: one line per operation.
    public var text: String {
        if let plan { return plan.text }
        return operations.map { $0.description + "\n" }.joined()
    }

    public var json: String {
        let o = JSONWriter()
        o.object {
            if let plan { o.key("plan"); plan.writeJSON(o) }
            o.key("operations")
            o.array(operations) { o.string($0.description) }
        }
        return o.out
    }
}
