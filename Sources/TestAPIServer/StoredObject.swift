import Foundation

/// One object as the server keeps it: the full JSON (so fields the server does not model survive a
/// round trip) plus the metadata it indexes by.
struct StoredObject: Sendable {
    var resource: APIResource
    var namespace: String
    var name: String
    var labels: [String: String]
    var resourceVersion: Int
    var uid: String
    var json: Data

    /// Sort and identity key: `namespace/name` (empty namespace for nodes).
    var key: String { namespace + "/" + name }

    /// Parses `json`, fills in kind, apiVersion, namespace, name, uid, creationTimestamp and
    /// resourceVersion, and returns the stamped object. `previous` supplies uid and creation time on update.
    static func stamp(_ json: Data, resource: APIResource, namespace pathNamespace: String?, name pathName: String?,
                      resourceVersion: Int, previous: StoredObject?) throws -> StoredObject {
        guard var object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw StoreError.invalid("request body is not a JSON object")
        }
        if let kind = object["kind"] as? String, kind != resource.kind {
            throw StoreError.invalid("kind \(kind) does not match resource \(resource.rawValue)")
        }
        var meta = object["metadata"] as? [String: Any] ?? [:]
        var name = meta["name"] as? String ?? ""
        if name.isEmpty, let prefix = meta["generateName"] as? String, !prefix.isEmpty, previous == nil {
            name = prefix + String(UUID().uuidString.lowercased().prefix(5))
        }
        if let pathName, !name.isEmpty, name != pathName {
            throw StoreError.invalid("name \(name) in the body does not match \(pathName) in the path")
        }
        name = name.isEmpty ? (pathName ?? "") : name
        guard !name.isEmpty else { throw StoreError.invalid("metadata.name: Required value") }
        var namespace = ""
        if resource.namespaced {
            let bodyNamespace = meta["namespace"] as? String ?? ""
            if let pathNamespace, !bodyNamespace.isEmpty, bodyNamespace != pathNamespace {
                throw StoreError.invalid("the namespace of the provided object does not match the namespace sent on the request")
            }
            namespace = bodyNamespace.isEmpty ? (pathNamespace ?? "default") : bodyNamespace
            meta["namespace"] = namespace
        } else {
            meta.removeValue(forKey: "namespace")
        }
        let labels = meta["labels"] as? [String: String] ?? [:]
        if meta["labels"] != nil, meta["labels"] as? [String: String] == nil {
            throw StoreError.invalid("metadata.labels must map strings to strings")
        }
        let uid = previous?.uid ?? UUID().uuidString.lowercased()
        meta["name"] = name
        meta["uid"] = uid
        meta["resourceVersion"] = String(resourceVersion)
        if let previous, let created = previous.creationTimestamp {
            meta["creationTimestamp"] = created
        } else if previous == nil {
            meta["creationTimestamp"] = ISO8601DateFormatter().string(from: Date())
        }
        object["metadata"] = meta
        object["kind"] = resource.kind
        object["apiVersion"] = resource.apiVersion
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return StoredObject(resource: resource, namespace: namespace, name: name, labels: labels,
                            resourceVersion: resourceVersion, uid: uid, json: data)
    }

    /// `metadata.creationTimestamp` as stored.
    var creationTimestamp: String? {
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any]
        return (object?["metadata"] as? [String: Any])?["creationTimestamp"] as? String
    }

    /// The same object with `metadata.resourceVersion` replaced (used for the DELETED event).
    func withResourceVersion(_ rv: Int) -> StoredObject {
        guard var object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return self }
        var meta = object["metadata"] as? [String: Any] ?? [:]
        meta["resourceVersion"] = String(rv)
        object["metadata"] = meta
        var copy = self
        copy.resourceVersion = rv
        copy.json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? json
        return copy
    }
}

/// Errors the store reports; the router maps them to Kubernetes `Status` responses.
enum StoreError: Error, Sendable {
    case notFound(String)
    case alreadyExists(String)
    case conflict(String)
    case invalid(String)
    case gone(String)

    var code: Int {
        switch self {
        case .notFound: return 404
        case .alreadyExists, .conflict: return 409
        case .invalid: return 422
        case .gone: return 410
        }
    }

    var reason: String {
        switch self {
        case .notFound: return "NotFound"
        case .alreadyExists: return "AlreadyExists"
        case .conflict: return "Conflict"
        case .invalid: return "Invalid"
        case .gone: return "Expired"
        }
    }

    var message: String {
        switch self {
        case .notFound(let m), .alreadyExists(let m), .conflict(let m), .invalid(let m), .gone(let m): return m
        }
    }
}
