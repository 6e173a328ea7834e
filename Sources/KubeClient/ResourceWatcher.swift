import Foundation
import KubeObjects
import Logging
import NIOCore
import SwitchyardCore

/// What one resource watcher reports: a batch of changes and whether it completes a (re)LIST.
public struct ResourceUpdate: Sendable, Equatable {
    public var kind: ObjectKind
    public var events: [ObjectEvent]
    public var diagnostics: [Diagnostic]
    /// True on the update that completes a LIST (first or after 410). A LIST's pages arrive as they
    /// are read (earlier pages in updates with `listed` false); the completing update also carries
    /// the deletions of objects the list no longer has.
    public var listed: Bool
    /// The resource version the watcher has reached.
    public var resourceVersion: String
}

/// Lists and watches one resource, keeping a fingerprint (resource version) of each object it has
/// reported so that a relist after 410 Gone emits exactly the difference (deletions included). A dropped watch resumes from the last
/// resource version after an exponential, jittered backoff; a clean end (server timeout) resumes at once.
/// A malformed object yields a Diagnostic (and the deletion of its previous version, if any), never a
/// dead stream.
public struct ResourceWatcher: Sendable {
    public let resource: WatchResource
    let client: KubeAPIClient
    let options: WatchOptions
    let logger: Logger

    public init(client: KubeAPIClient, resource: WatchResource, options: WatchOptions = WatchOptions(),
                logger: Logger = Logger(label: "switchyard.watch")) {
        self.client = client; self.resource = resource; self.options = options; self.logger = logger
    }

    /// The updates as a stream; the watcher stops when the stream's consumer goes away.
    public func updates() -> AsyncStream<ResourceUpdate> {
        let (stream, continuation) = AsyncStream<ResourceUpdate>.makeStream()
        let task = Task { await run { continuation.yield($0) }; continuation.finish() }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Lists and watches until the calling task is cancelled, handing each non-empty update to `emit`.
    public func run(_ emit: @Sendable (ResourceUpdate) async -> Void) async {
        var state = State(kind: resource.kind)
        var attempt = 0
        var random = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            do {
                if state.resourceVersion == nil {
                    try await relist(&state, emit: emit)
                    attempt = 0
                }
                let lines = try await watch(&state, emit: emit, progressed: { attempt = 0 })
                if lines == 0 {
                    // A watch that ends at once with nothing in it: back off rather than spin.
                    attempt += 1
                    try? await Task.sleep(for: options.backoff.delay(attempt: attempt, using: &random))
                }
            } catch KubeClientError.gone(let message) {
                logger.info("\(resource.kind.rawValue) watch: 410 Gone (\(message)); relisting")
                state.resourceVersion = nil
            } catch {
                if Task.isCancelled { return }
                attempt += 1
                let delay = options.backoff.delay(attempt: attempt, using: &random)
                logger.warning("\(resource.kind.rawValue) list/watch failed (attempt \(attempt)): \(error); retrying in \(delay)")
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// What the watcher knows: a fingerprint of each object reported so far (never the object
    /// itself: the model keeps what it needs, so the raw objects are dropped once handed on) and
    /// the version to resume from.
    struct State {
        let kind: ObjectKind
        var cache: [ObjectRef: Fingerprint] = [:]
        var resourceVersion: String?
    }

    /// Identifies one version of an object: its `resourceVersion` (the API server changes it on
    /// every write), or, for an object without one, a hash of its content.
    enum Fingerprint: Hashable {
        case version(String)
        case content(Int)

        init(_ object: KubeObject) {
            let rv: String?
            switch object {
            case .service(let s): rv = s.metadata.resourceVersion
            case .endpointSlice(let e): rv = e.metadata.resourceVersion
            case .node(let n): rv = n.metadata.resourceVersion
            }
            if let rv, !rv.isEmpty { self = .version(rv) } else { self = .content(object.hashValue) }
        }
    }

    /// Paginated LIST. Each page's new or changed objects are emitted as they arrive (so only one
    /// page of raw objects is alive at a time); the update completing the list (`listed`) carries
    /// the deletions of objects the list no longer has. The cache always describes what was
    /// emitted, so a LIST that fails half-way and is retried still deletes what it reported.
    func relist(_ state: inout State, emit: @Sendable (ResourceUpdate) async -> Void) async throws {
        let wire = WireFormat(kind: resource.kind)
        var seen = Set<ObjectRef>(minimumCapacity: state.cache.count)
        var token: String?
        var listRV = ""
        var changes = 0
        repeat {
            var query = resource.selectorQuery + [("limit", String(options.pageSize))]
            if let token { query.append(("continue", token)) }
            let page = try wire.list(try await client.get(resource.path, query: query))
            if token == nil { listRV = page.resourceVersion }
            var update = ResourceUpdate(kind: resource.kind, events: [], diagnostics: [], listed: false, resourceVersion: state.resourceVersion ?? "")
            for item in page.items {
                switch item {
                case .object(let o):
                    let ref = o.ref, print = Fingerprint(o)
                    seen.insert(ref)
                    if state.cache.updateValue(print, forKey: ref) != print { update.events.append(.upsert(o)) }
                case .invalid(_, let d):
                    update.diagnostics.append(d)
                }
            }
            token = page.continueToken
            if token == nil {
                let gone = state.cache.keys.filter { !seen.contains($0) }.sorted()
                for ref in gone { state.cache[ref] = nil }
                update.events.append(contentsOf: gone.map { ObjectEvent.delete($0) })
                update.listed = true
                update.resourceVersion = listRV
            }
            changes += update.events.count
            if update.listed || !update.events.isEmpty || !update.diagnostics.isEmpty { await emit(update) }
        } while token != nil
        logger.debug("\(resource.kind.rawValue): listed \(seen.count) at \(listRV), \(changes) changes")
        state.resourceVersion = listRV
    }

    /// One WATCH from the state's resource version until the stream ends; returns the number of
    /// events read (bookmarks included). Throws `gone` on 410.
    func watch(_ state: inout State, emit: @Sendable (ResourceUpdate) async -> Void, progressed: () -> Void) async throws -> Int {
        guard let from = state.resourceVersion else { return 0 }
        let query = resource.selectorQuery + [
            ("watch", "true"), ("resourceVersion", from), ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", String(options.timeoutSeconds)),
        ]
        let body = try await client.stream(resource.path, query: query, timeout: .seconds(options.timeoutSeconds + 30))
        let wire = WireFormat(kind: resource.kind)
        var pending: [UInt8] = []
        var lines = 0
        for try await chunk in body {
            pending.append(contentsOf: chunk.readableBytesView)
            var update = ResourceUpdate(kind: resource.kind, events: [], diagnostics: [], listed: false, resourceVersion: from)
            var start = 0
            do {
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Data(pending[start..<newline])
                    start = newline + 1
                    if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                    try apply(wire.event(line), to: &state, &update)
                    if lines == 0 { progressed() } // the connection works: reset the backoff
                    lines += 1
                }
            } catch {
                // The cache already holds the events before the failing line: hand them on first.
                update.resourceVersion = state.resourceVersion ?? from
                if !update.events.isEmpty || !update.diagnostics.isEmpty { await emit(update) }
                throw error
            }
            pending.removeFirst(start)
            if pending.count > options.maxEventBytes { throw KubeClientError.tooLarge(options.maxEventBytes) }
            update.resourceVersion = state.resourceVersion ?? from
            if !update.events.isEmpty || !update.diagnostics.isEmpty {
                await emit(update)
            }
        }
        return lines
    }

    /// Applies one watch event to the cache, collecting what changed into `update`.
    func apply(_ event: WireFormat.WatchEvent, to state: inout State, _ update: inout ResourceUpdate) throws {
        if let rv = event.meta?.metadata?.resourceVersion, !rv.isEmpty, event.type != "ERROR" {
            state.resourceVersion = rv
        }
        switch (event.type, event.object) {
        case ("ADDED", .object(let o)?), ("MODIFIED", .object(let o)?):
            let print = Fingerprint(o)
            if state.cache.updateValue(print, forKey: o.ref) != print { update.events.append(.upsert(o)) }
        case ("DELETED", .object(let o)?):
            if state.cache.removeValue(forKey: o.ref) != nil { update.events.append(.delete(o.ref)) }
        case (_, .invalid(let ref, let diagnostic)?):
            update.diagnostics.append(diagnostic)
            // Its current state is unknown: drop the last good version rather than keep a stale one.
            if let ref, state.cache.removeValue(forKey: ref) != nil { update.events.append(.delete(ref)) }
        case ("BOOKMARK", _):
            break
        case ("ERROR", _):
            let code = event.meta?.code ?? 0
            let message = event.meta?.message ?? "watch error"
            if code == 410 { throw KubeClientError.gone(message) }
            throw KubeClientError.status(code: code, reason: event.meta?.reason ?? "", message: Diagnostic.printable(message, limit: 300))
        default:
            update.diagnostics.append(Diagnostic(kind: resource.kind.rawValue, namespace: "", name: "", field: "type",
                                                 reason: "unknown watch event type \(event.type)", source: "API watch"))
        }
    }
}
