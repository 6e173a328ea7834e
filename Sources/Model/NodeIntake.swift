import KubeObjects
import SwitchyardCore

/// Reads this node's zone and addresses from its Node object.
public enum NodeIntake {
    /// `NodeInfo` for `node`, skipping addresses that do not parse (one diagnostic each).
    public static func info(_ node: Node, name: String) -> (NodeInfo, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var addresses = Set<IPAddress>()
        for (i, a) in (node.status?.addresses ?? []).enumerated() where a.type == "InternalIP" || a.type == "ExternalIP" {
            let text = a.address ?? ""
            if let ip = IPAddress(text) {
                addresses.insert(ip)
            } else {
                diagnostics.append(Diagnostic(kind: "Node", namespace: "", name: name, field: "status.addresses[\(i)].address",
                                              reason: "\"\(text)\" is not an IP address"))
            }
        }
        let zone = node.metadata.labels?[Node.zoneLabel].flatMap { $0.isEmpty ? nil : $0 }
        return (NodeInfo(name: name, zone: zone, addresses: addresses.sorted()), diagnostics)
    }
}
