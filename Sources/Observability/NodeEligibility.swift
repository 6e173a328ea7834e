import KubeObjects

/// Whether this node should receive load-balancer traffic, as kube-proxy's `/healthz` reports it
/// (`nodeEligible`): not when its Node is being deleted (`metadata.deletionTimestamp` set) or is
/// tainted `ToBeDeletedByClusterAutoscaler` (any value or effect), so load balancers drain it first.
public enum NodeEligibility {
    /// The taint the cluster autoscaler puts on a node it is about to delete.
    public static let toBeDeletedTaint = "ToBeDeletedByClusterAutoscaler"

    /// kube-proxy's rule (`ProxyHealthServer.SyncNode`).
    public static func isEligible(_ node: Node) -> Bool {
        if let deletion = node.metadata.deletionTimestamp, !deletion.isEmpty { return false }
        return !(node.spec?.taints ?? []).contains { $0.key == toBeDeletedTaint }
    }

    /// The eligibility after `events`, from the last event about the Node named `nodeName`; nil when
    /// none is about it. A deleted Node is not eligible (kube-proxy re-evaluates the deleted object,
    /// whose deletion timestamp is normally set).
    public static func after(_ events: [ObjectEvent], nodeName: String) -> Bool? {
        for event in events.reversed() {
            switch event {
            case .upsert(.node(let node)) where node.metadata.name == nodeName: return isEligible(node)
            case .delete(let ref) where ref.kind == .node && ref.name == nodeName: return false
            default: continue
            }
        }
        return nil
    }
}
