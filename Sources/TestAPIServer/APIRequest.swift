import Foundation

/// A request path resolved to a resource, and the query parameters the server understands.
struct APIRequest: Sendable {
    var resource: APIResource
    var namespace: String?
    var name: String?
    var query: [String: String]

    var isWatch: Bool { query["watch"] == "1" || query["watch"] == "true" }

    /// Resolves `/api/v1[/namespaces/NS]/RESOURCE[/NAME]` and the discovery.k8s.io equivalent.
    init?(path: String, query: [String: String]) {
        var segments = path.split(separator: "/").map(String.init)
        if segments.first == "api", segments.count >= 2, segments[1] == "v1" {
            segments.removeFirst(2)
        } else if segments.count >= 3, segments[0] == "apis", segments[1] == "discovery.k8s.io", segments[2] == "v1" {
            segments.removeFirst(3)
        } else {
            return nil
        }
        var namespace: String?
        if segments.count >= 3, segments[0] == "namespaces" {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard let first = segments.first, let resource = APIResource(rawValue: first), segments.count <= 2 else { return nil }
        let inGroup = path.hasPrefix(resource.groupVersionPath + "/")
        guard inGroup, namespace == nil || resource.namespaced else { return nil }
        self.resource = resource
        self.namespace = namespace
        self.name = segments.count == 2 ? segments[1] : nil
        self.query = query
    }

    /// Parses the query of a request URI (percent-decoded).
    static func splitURI(_ uri: String) -> (path: String, query: [String: String]) {
        guard let components = URLComponents(string: uri) else { return (uri, [:]) }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        return (components.percentEncodedPath.removingPercentEncoding ?? components.path, query)
    }

    /// The LIST/WATCH filter, or nil with a message for a selector the server cannot parse.
    func filter() -> Result<WatchFilter, StoreError> {
        guard let labels = LabelSelector(query["labelSelector"]) else {
            return .failure(.invalid("unable to parse requirement: labelSelector \(query["labelSelector"] ?? "")"))
        }
        guard let fields = FieldSelector(query["fieldSelector"]) else {
            return .failure(.invalid("field label not supported: \(query["fieldSelector"] ?? "")"))
        }
        return .success(WatchFilter(namespace: namespace, labels: labels, fields: fields))
    }
}
