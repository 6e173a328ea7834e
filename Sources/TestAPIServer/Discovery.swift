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
        case "/openapi/v3", "/openapi/v3/":
            return json(["paths": [
                "api/v1": ["serverRelativeURL": "/openapi/v3/api/v1?hash=switchyard1"],
                "apis/discovery.k8s.io/v1": ["serverRelativeURL": "/openapi/v3/apis/discovery.k8s.io/v1?hash=switchyard1"],
            ]])
        case "/openapi/v3/api/v1":
            return openAPI([.services, .nodes])
        case "/openapi/v3/apis/discovery.k8s.io/v1":
            return openAPI([.endpointslices])
        default:
            return nil
        }
    }

    /// A minimal OpenAPI v3 document: no schemas, but PATCH operations that declare the
    /// `fieldValidation` parameter, which is how kubectl decides to leave validation to the server.
    private static func openAPI(_ resources: [APIResource]) -> Data {
        var paths: [String: Any] = [:]
        for r in resources {
            let group = r.apiVersion.contains("/") ? String(r.apiVersion.split(separator: "/")[0]) : ""
            let gvk: [String: String] = ["group": group, "version": "v1", "kind": r.kind]
            let item = r.namespaced
                ? "\(r.groupVersionPath)/namespaces/{namespace}/\(r.rawValue)/{name}"
                : "\(r.groupVersionPath)/\(r.rawValue)/{name}"
            let param: [String: Any] = ["name": "fieldValidation", "in": "query", "schema": ["type": "string"]]
            paths[item] = ["patch": ["x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
                                     "parameters": [param], "responses": ["200": ["description": "OK"]]]]
        }
        return json(["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0"], "paths": paths])
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
