import Foundation

/// Discovery documents: enough of `/version`, `/api`, `/apis`, `/api/v1` and
/// `/apis/discovery.k8s.io/v1` for kubectl's REST mapper.
enum Discovery {
    static func document(for path: String, serverAddress: String) -> Data? {
        switch path {
        case "/version", "/version/":
            return json(["major": "1", "minor": "32", "gitVersion": "v1.32.0-switchyard-test",
                         "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                         "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc",
                         "platform": "linux/amd64"])
        case "/api", "/api/":
            return json(["kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": serverAddress]]])
        case "/apis", "/apis/":
            let gv: [String: Any] = ["groupVersion": "discovery.k8s.io/v1", "version": "v1"]
            return json(["kind": "APIGroupList", "apiVersion": "v1",
                         "groups": [["name": "discovery.k8s.io", "versions": [gv], "preferredVersion": gv]]])
        case "/api/v1", "/api/v1/":
            return resourceList("v1", [.services, .nodes], extra: [
                resource(name: "namespaces", kind: "Namespace", namespaced: false, shortNames: ["ns"]),
            ])
        case "/apis/discovery.k8s.io/v1", "/apis/discovery.k8s.io/v1/":
            return resourceList("discovery.k8s.io/v1", [.endpointslices], extra: [])
        case "/apis/discovery.k8s.io", "/apis/discovery.k8s.io/":
            let gv: [String: Any] = ["groupVersion": "discovery.k8s.io/v1", "version": "v1"]
            return json(["kind": "APIGroup", "apiVersion": "v1", "name": "discovery.k8s.io",
                         "versions": [gv], "preferredVersion": gv])
        default:
            return nil
        }
    }

    private static let verbs = ["create", "delete", "get", "list", "update", "watch"]

    private static func resource(name: String, kind: String, namespaced: Bool, shortNames: [String]) -> [String: Any] {
        var r: [String: Any] = ["name": name, "singularName": String(kind.lowercased()), "namespaced": namespaced,
                                "kind": kind, "verbs": verbs]
        if !shortNames.isEmpty { r["shortNames"] = shortNames }
        return r
    }

    private static func resourceList(_ groupVersion: String, _ resources: [APIResource], extra: [[String: Any]]) -> Data {
        let items = resources.map { resource(name: $0.rawValue, kind: $0.kind, namespaced: $0.namespaced, shortNames: $0.shortNames) }
        return json(["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": groupVersion, "resources": items + extra])
    }

    static func json(_ object: Any) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    /// A Kubernetes `Status` failure body.
    static func status(code: Int, reason: String, message: String) -> Data {
        json(["kind": "Status", "apiVersion": "v1", "metadata": [String: Any](), "status": "Failure",
              "message": message, "reason": reason, "code": code])
    }
}
