import Foundation

/// `meta.k8s.io/v1` Table responses, which kubectl asks for (`Accept: …;as=Table;…`) to print
/// `kubectl get` output with the same columns as a real server.
enum TableFormat {
    /// Whether the Accept header asks for a Table.
    static func wanted(_ accept: String?) -> Bool { accept?.contains("as=Table") == true }

    /// A Table of `objects` (stored JSON), with column definitions unless `headers` is false.
    static func table(_ resource: APIResource, _ objects: [Data], resourceVersion: String?, continueToken: String?,
                      headers: Bool = true) -> Data {
        var meta: [String: Any] = [:]
        if let resourceVersion { meta["resourceVersion"] = resourceVersion }
        if let continueToken { meta["continue"] = continueToken }
        let rows: [[String: Any]] = objects.compactMap { data in
            guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
            let metadata = o["metadata"] as? [String: Any] ?? [:]
            return ["cells": cells(resource, o),
                    "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata]]
        }
        var table: [String: Any] = ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "rows": rows]
        table["columnDefinitions"] = headers ? columns(resource).map { name in
            ["name": name, "type": "string", "format": name == "Name" ? "name" : "", "description": "", "priority": 0]
        } : []
        return Discovery.json(table)
    }

    /// Rewrites one watch event line so its object is a one-row Table.
    static func watchLine(_ resource: APIResource, _ line: Data) -> Data {
        guard let event = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any],
              let type = event["type"] as? String, type != "ERROR", type != "BOOKMARK",
              let object = event["object"] as? [String: Any],
              let objectData = try? JSONSerialization.data(withJSONObject: object) else { return line }
        let rv = (object["metadata"] as? [String: Any])?["resourceVersion"] as? String
        return ObjectStore.eventLine(type, table(resource, [objectData], resourceVersion: rv, continueToken: nil))
    }

    private static func columns(_ r: APIResource) -> [String] {
        switch r {
        case .services: return ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]
        case .endpointslices: return ["Name", "AddressType", "Ports", "Endpoints", "Age"]
        case .nodes: return ["Name", "Status", "Roles", "Age", "Version"]
        }
    }

    private static func cells(_ r: APIResource, _ o: [String: Any]) -> [Any] {
        let meta = o["metadata"] as? [String: Any] ?? [:]
        let name = meta["name"] as? String ?? ""
        let age = self.age(meta["creationTimestamp"] as? String)
        switch r {
        case .services:
            let spec = o["spec"] as? [String: Any] ?? [:]
            let ports = (spec["ports"] as? [[String: Any]] ?? []).map { p -> String in
                let port = (p["port"] as? Int).map(String.init) ?? "?"
                let node = (p["nodePort"] as? Int).map { ":\($0)" } ?? ""
                return "\(port)\(node)/\(p["protocol"] as? String ?? "TCP")"
            }
            let external = (spec["externalIPs"] as? [String] ?? []).joined(separator: ",")
            return [name, spec["type"] as? String ?? "ClusterIP", spec["clusterIP"] as? String ?? "<none>",
                    external.isEmpty ? "<none>" : external, ports.isEmpty ? "<none>" : ports.joined(separator: ","), age]
        case .endpointslices:
            let ports = (o["ports"] as? [[String: Any]] ?? []).compactMap { ($0["port"] as? Int).map(String.init) }
            let addresses = (o["endpoints"] as? [[String: Any]] ?? []).flatMap { $0["addresses"] as? [String] ?? [] }
            return [name, o["addressType"] as? String ?? "", ports.isEmpty ? "<unset>" : ports.joined(separator: ","),
                    addresses.isEmpty ? "<unset>" : addresses.prefix(3).joined(separator: ","), age]
        case .nodes:
            return [name, "Ready", "<none>", age, "v1.32.0"]
        }
    }

    private static func age(_ timestamp: String?) -> String {
        guard let timestamp, let created = ISO8601DateFormatter().date(from: timestamp) else { return "<unknown>" }
        let s = max(0, Int(Date().timeIntervalSince(created)))
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        if s < 172_800 { return "\(s / 3600)h" }
        return "\(s / 86400)d"
    }
}
