import Foundation

/// Which objects a LIST or WATCH sees.
struct WatchFilter: Sendable {
    var namespace: String?
    var labels: LabelSelector
    var fields: FieldSelector

    func matches(_ object: StoredObject) -> Bool {
        if let namespace, object.namespace != namespace { return false }
        return labels.matches(object.labels) && fields.matches(namespace: object.namespace, name: object.name)
    }
}

/// A change recorded for watch replay.
struct HistoryEntry: Sendable {
    enum Change: Sendable { case added, modified, deleted }
    var change: Change
    var object: StoredObject
    var previous: StoredObject?
}

/// The server's object store: versioned objects per resource, an event history for watch replay
/// (cut at the compaction point), and the live watch subscribers. Thread-safe.
final class ObjectStore: @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [APIResource: [String: StoredObject]] = [:]
    private var history: [HistoryEntry] = []
    private var revision = 1000
    private var compactedRevision = 0
    private var subscribers: [Int: Subscriber] = [:]
    private var nextSubscriber = 0
    private var bookmarks = 0
    /// Past this many history entries the oldest half is compacted away, as etcd compaction would.
    let historyLimit: Int

    init(historyLimit: Int = 200_000) { self.historyLimit = max(2, historyLimit) }

    private struct Subscriber {
        var resource: APIResource
        var filter: WatchFilter
        var continuation: AsyncStream<Data>.Continuation
    }

    var currentRevision: Int { lock.withLock { revision } }
    var bookmarksSent: Int { lock.withLock { bookmarks } }

    // MARK: writes

    func create(_ resource: APIResource, json: Data, namespace: String?) throws -> StoredObject {
        try lock.withLock {
            let stored = try StoredObject.stamp(json, resource: resource, namespace: namespace, name: nil,
                                                resourceVersion: revision + 1, previous: nil)
            guard objects[resource]?[stored.key] == nil else {
                throw StoreError.alreadyExists("\(resource.rawValue) \"\(stored.name)\" already exists")
            }
            revision += 1
            objects[resource, default: [:]][stored.key] = stored
            record(HistoryEntry(change: .added, object: stored, previous: nil))
            return stored
        }
    }

    func update(_ resource: APIResource, namespace: String?, name: String?, json: Data) throws -> StoredObject {
        try lock.withLock {
            let probe = try StoredObject.stamp(json, resource: resource, namespace: namespace, name: name,
                                               resourceVersion: revision + 1, previous: nil)
            guard let previous = objects[resource]?[probe.key] else {
                throw StoreError.notFound("\(resource.rawValue) \"\(probe.name)\" not found")
            }
            if let sent = Self.sentResourceVersion(json), !sent.isEmpty, sent != String(previous.resourceVersion) {
                throw StoreError.conflict("Operation cannot be fulfilled on \(resource.rawValue) \"\(probe.name)\": the object has been modified; please apply your changes to the latest version and try again")
            }
            let stored = try StoredObject.stamp(json, resource: resource, namespace: namespace, name: name,
                                                resourceVersion: revision + 1, previous: previous)
            revision += 1
            objects[resource, default: [:]][stored.key] = stored
            record(HistoryEntry(change: .modified, object: stored, previous: previous))
            return stored
        }
    }

    func delete(_ resource: APIResource, namespace: String, name: String) throws -> StoredObject {
        try lock.withLock {
            let key = namespace + "/" + name
            guard let previous = objects[resource]?[key] else {
                throw StoreError.notFound("\(resource.rawValue) \"\(name)\" not found")
            }
            revision += 1
            objects[resource]?[key] = nil
            let gone = previous.withResourceVersion(revision)
            record(HistoryEntry(change: .deleted, object: gone, previous: previous))
            return gone
        }
    }

    func get(_ resource: APIResource, namespace: String, name: String) throws -> StoredObject {
        try lock.withLock {
            guard let o = objects[resource]?[namespace + "/" + name] else {
                throw StoreError.notFound("\(resource.rawValue) \"\(name)\" not found")
            }
            return o
        }
    }

    /// Forgets the event history: watches and paginated lists from an older revision get 410 Gone.
    func compact() {
        lock.withLock {
            compactedRevision = revision
            history.removeAll()
        }
    }

    // MARK: reads

    struct Page: Sendable {
        var items: [StoredObject]
        var revision: Int
        var continueToken: String?
        var remaining: Int?
    }

    /// A LIST page in key order. `continueToken` resumes after the last key of the previous page;
    /// a token from before the compaction point is expired (410), as in Kubernetes.
    func list(_ resource: APIResource, filter: WatchFilter, resourceVersion: String?, limit: Int?,
              continueToken: String?) throws -> Page {
        try lock.withLock {
            var listRevision = revision
            var after: String?
            if let continueToken, !continueToken.isEmpty {
                guard let (rv, key) = Self.decodeContinue(continueToken) else {
                    throw StoreError.invalid("invalid continue token")
                }
                if rv < compactedRevision {
                    throw StoreError.gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
                }
                listRevision = rv
                after = key
            } else if let resourceVersion, let rv = Int(resourceVersion), rv > 0, rv < compactedRevision {
                throw StoreError.gone("too old resource version: \(rv) (\(compactedRevision))")
            }
            var all = (objects[resource] ?? [:]).values.filter(filter.matches).sorted { $0.key < $1.key }
            if let after { all = all.filter { $0.key > after } }
            guard let limit, limit > 0, all.count > limit else {
                return Page(items: all, revision: listRevision, continueToken: nil, remaining: nil)
            }
            let page = Array(all.prefix(limit))
            return Page(items: page, revision: listRevision,
                        continueToken: Self.encodeContinue(listRevision, page.last!.key),
                        remaining: all.count - limit)
        }
    }

    /// Every object of a resource (for tests).
    func all(_ resource: APIResource) -> [StoredObject] {
        lock.withLock { (objects[resource] ?? [:]).values.sorted { $0.key < $1.key } }
    }

    // MARK: watch

    /// Registers a watch. From an explicit revision the history after it is replayed (410 if it was
    /// compacted away); from "" or "0" every current object is sent as ADDED first. Replay and
    /// registration happen under one lock, so no event falls between them.
    func subscribe(_ resource: APIResource, filter: WatchFilter, resourceVersion: String?) throws -> (Int, AsyncStream<Data>) {
        try lock.withLock {
            let (stream, continuation) = AsyncStream<Data>.makeStream()
            let rv = resourceVersion.flatMap { Int($0) } ?? 0
            if rv > 0 {
                if rv < compactedRevision {
                    throw StoreError.gone("too old resource version: \(rv) (\(compactedRevision))")
                }
                for entry in history where entry.object.resourceVersion > rv && entry.object.resource == resource {
                    if let line = Self.line(for: entry, filter: filter) { continuation.yield(line) }
                }
            } else {
                for object in (objects[resource] ?? [:]).values.sorted(by: { $0.resourceVersion < $1.resourceVersion })
                where filter.matches(object) {
                    continuation.yield(Self.eventLine("ADDED", object.json))
                }
            }
            nextSubscriber += 1
            subscribers[nextSubscriber] = Subscriber(resource: resource, filter: filter, continuation: continuation)
            return (nextSubscriber, stream)
        }
    }

    func unsubscribe(_ id: Int) {
        let sub = lock.withLock { subscribers.removeValue(forKey: id) }
        sub?.continuation.finish()
    }

    /// Sends a BOOKMARK carrying the current revision, ordered after every event already sent.
    func bookmark(_ id: Int) {
        lock.withLock {
            guard let sub = subscribers[id] else { return }
            let object = #"{"kind":"\#(sub.resource.kind)","apiVersion":"\#(sub.resource.apiVersion)","metadata":{"resourceVersion":"\#(revision)","annotations":{"k8s.io/initial-events-end":"true"}}}"#
            sub.continuation.yield(Self.eventLine("BOOKMARK", Data(object.utf8)))
            bookmarks += 1
        }
    }

    /// Ends every watch stream (they finish gracefully).
    func finishAll() {
        let subs = lock.withLock { () -> [Subscriber] in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for s in subs { s.continuation.finish() }
    }

    private func record(_ entry: HistoryEntry) {
        history.append(entry)
        if history.count > historyLimit {
            let drop = history.count / 2
            compactedRevision = history[drop - 1].object.resourceVersion
            history.removeFirst(drop)
        }
        for sub in subscribers.values where sub.resource == entry.object.resource {
            if let line = Self.line(for: entry, filter: sub.filter) { sub.continuation.yield(line) }
        }
    }

    /// The event a filtered watcher sees: objects moving into the filter are ADDED, out of it DELETED.
    private static func line(for entry: HistoryEntry, filter: WatchFilter) -> Data? {
        switch entry.change {
        case .added:
            return filter.matches(entry.object) ? eventLine("ADDED", entry.object.json) : nil
        case .deleted:
            return filter.matches(entry.object) ? eventLine("DELETED", entry.object.json) : nil
        case .modified:
            let was = entry.previous.map(filter.matches) ?? false
            let now = filter.matches(entry.object)
            switch (was, now) {
            case (true, true): return eventLine("MODIFIED", entry.object.json)
            case (false, true): return eventLine("ADDED", entry.object.json)
            case (true, false): return eventLine("DELETED", entry.object.json)
            case (false, false): return nil
            }
        }
    }

    static func eventLine(_ type: String, _ object: Data) -> Data {
        var d = Data(#"{"type":""#.utf8)
        d.append(Data(type.utf8))
        d.append(Data(#"","object":"#.utf8))
        d.append(object)
        d.append(Data("}\n".utf8))
        return d
    }

    static func sentResourceVersion(_ json: Data) -> String? {
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any]
        return (object?["metadata"] as? [String: Any])?["resourceVersion"] as? String
    }

    static func encodeContinue(_ rv: Int, _ key: String) -> String {
        Data("\(rv)|\(key)".utf8).base64EncodedString()
    }

    static func decodeContinue(_ token: String) -> (Int, String)? {
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8),
              let bar = text.firstIndex(of: "|"), let rv = Int(text[..<bar]) else { return nil }
        return (rv, String(text[text.index(after: bar)...]))
    }
}
