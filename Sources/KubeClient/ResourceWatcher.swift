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
    /// True on the update that delivers the result of a completed LIST (first or after 410).
    public var listed: Bool
    /// The resource version the watcher has reached.
    public var resourceVersion: String
}

/// Lists and watches one resource, keeping a cache of what it has reported so that a relist after
/// 410 Gone emits exactly the difference (deletions included). A dropped watch resumes from the last
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
                    let update = try await relist(&state)
                    attempt = 0
                    await emit(update)
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

    /// What the watcher knows: the objects reported so far and the version to resume from.
    struct State {
        let kind: ObjectKind
        var cache: [ObjectRef: KubeObject] = [:]
        var resourceVersion: String?
    }

    /// Paginated LIST; returns the difference against the cache and replaces the cache.
    func relist(_ state: inout State) async throws -> ResourceUpdate {
        let wire = WireFormat(kind: resource.kind)
        var fresh: [ObjectRef: KubeObject] = [:]
        var diagnostics: [Diagnostic] = []
        var token: String?
        var listRV = ""
        repeat {
            var query = resource.selectorQuery + [("limit", String(options.pageSize))]
            if let token { query.append(("continue", token)) }
            let page = try wire.list(try await client.get(resource.path, query: query))
            if token == nil { listRV = page.resourceVersion }
            for item in page.items {
                switch item {
                case .object(let o): fresh[o.ref] = o
                case .invalid(_, let d): diagnostics.append(d)
                }
            }
            token = page.continueToken
        } while token != nil
        let events = Self.difference(from: state.cache, to: fresh)
        state.cache = fresh
        state.resourceVersion = listRV
        logger.debug("\(resource.kind.rawValue): listed \(fresh.count) at \(listRV), \(events.count) changes")
        return ResourceUpdate(kind: resource.kind, events: events, diagnostics: diagnostics, listed: true, resourceVersion: listRV)
    }

    /// Events turning `old` into `new`: deletions first, then upserts of new or changed objects, by ref.
    static func difference(from old: [ObjectRef: KubeObject], to new: [ObjectRef: KubeObject]) -> [ObjectEvent] {
        let deleted = old.keys.filter { new[$0] == nil }.sorted().map { ObjectEvent.delete($0) }
        let upserted = new.keys.filter { old[$0] != new[$0] }.sorted().map { ObjectEvent.upsert(new[$0]!) }
        return deleted + upserted
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
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(pending[start..<newline])
                start = newline + 1
                if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                try apply(wire.event(line), to: &state, &update)
                if lines == 0 { progressed() } // the connection works: reset the backoff
                lines += 1
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
            if state.cache[o.ref] != o {
                state.cache[o.ref] = o
                update.events.append(.upsert(o))
            }
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
