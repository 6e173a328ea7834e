import Foundation
import NIOCore
import NIOHTTP1

/// One accepted HTTP/1.1 connection: reads requests in turn (keep-alive) and answers them; a WATCH
/// holds the connection and streams events until it times out, is dropped, or the client goes away.
struct APIConnection: Sendable {
    let channel: Channel
    let io: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Writer = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    func serve(_ server: TestAPIServer) async {
        try? await io.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body.clear()
                case .body(var b):
                    body.writeBuffer(&b)
                case .end:
                    guard let h = head else { continue }
                    head = nil
                    try await respond(server, h, Data(body.readableBytesView), outbound)
                    if !h.isKeepAlive { return }
                }
            }
        }
    }

    private func respond(_ server: TestAPIServer, _ head: HTTPRequestHead, _ body: Data, _ out: Writer) async throws {
        let auth = head.headers.first(name: "authorization")
        server.record(.init(method: head.method.rawValue, uri: head.uri, authorization: auth, time: .now))
        let delay = server.faults.responseDelay
        if delay > .zero { try await Task.sleep(for: delay) }
        guard server.authorized(auth) else {
            return try await send(out, head, 401, Discovery.status(code: 401, reason: "Unauthorized", message: "Unauthorized"))
        }
        let (path, query) = APIRequest.splitURI(head.uri)
        if let doc = Discovery.document(for: path, serverAddress: server.serverAddress) {
            return try await send(out, head, 200, doc)
        }
        guard let request = APIRequest(path: path, query: query) else {
            return try await send(out, head, 404, Discovery.status(code: 404, reason: "NotFound",
                                                                  message: "the server could not find the requested resource"))
        }
        if let status = server.faults.takeFailure() {
            return try await send(out, head, status, Discovery.status(code: status, reason: "InternalError",
                                                                     message: "injected failure"))
        }
        do {
            try await dispatch(server, head, request, body, out)
        } catch let error as StoreError {
            try await send(out, head, error.code, Discovery.status(code: error.code, reason: error.reason, message: error.message))
        }
    }

    private func dispatch(_ server: TestAPIServer, _ head: HTTPRequestHead, _ request: APIRequest, _ body: Data,
                          _ out: Writer) async throws {
        let store = server.store
        let namespace = request.resource.namespaced ? request.namespace : nil
        switch (head.method, request.name) {
        case (.GET, let name?):
            let object = try store.get(request.resource, namespace: namespace ?? "", name: name)
            let table = TableFormat.wanted(head.headers.first(name: "accept"))
            try await send(out, head, 200, table ? TableFormat.table(request.resource, [object.json], resourceVersion: nil,
                                                                    continueToken: nil) : object.json)
        case (.GET, nil) where request.isWatch:
            try await watch(server, head, request, out)
        case (.GET, nil):
            try await list(store, head, request, out)
        case (.POST, nil):
            try await send(out, head, 201, store.create(request.resource, json: body, namespace: namespace).json)
        case (.PUT, let name?):
            try await send(out, head, 200, store.update(request.resource, namespace: namespace, name: name, json: body).json)
        case (.DELETE, let name?):
            try await send(out, head, 200, store.delete(request.resource, namespace: namespace ?? "", name: name).json)
        default:
            try await send(out, head, 405, Discovery.status(code: 405, reason: "MethodNotAllowed",
                                                           message: "the server does not allow this method on the requested resource"))
        }
    }

    private func list(_ store: ObjectStore, _ head: HTTPRequestHead, _ request: APIRequest, _ out: Writer) async throws {
        let filter = try request.filter().get()
        let page = try store.list(request.resource, filter: filter, resourceVersion: request.query["resourceVersion"],
                                  limit: request.query["limit"].flatMap { Int($0) }, continueToken: request.query["continue"])
        if TableFormat.wanted(head.headers.first(name: "accept")) {
            return try await send(out, head, 200, TableFormat.table(request.resource, page.items.map(\.json),
                                                                   resourceVersion: String(page.revision),
                                                                   continueToken: page.continueToken))
        }
        var meta: [String: Any] = ["resourceVersion": String(page.revision)]
        if let token = page.continueToken { meta["continue"] = token }
        if let remaining = page.remaining { meta["remainingItemCount"] = remaining }
        let header = Discovery.json(["kind": request.resource.listKind, "apiVersion": request.resource.apiVersion,
                                     "metadata": meta])
        // Splice the items (stored JSON, untouched) into the list envelope.
        var data = Data(header.dropLast())
        data.append(Data(#","items":["#.utf8))
        for (i, item) in page.items.enumerated() {
            if i > 0 { data.append(UInt8(ascii: ",")) }
            data.append(item.json)
        }
        data.append(Data("]}".utf8))
        try await send(out, head, 200, data)
    }

    private func watch(_ server: TestAPIServer, _ head: HTTPRequestHead, _ request: APIRequest, _ out: Writer) async throws {
        let store = server.store
        let filter = try request.filter().get()
        let subscription: (Int, AsyncStream<Data>)
        do {
            subscription = try store.subscribe(request.resource, filter: filter, resourceVersion: request.query["resourceVersion"])
        } catch let error as StoreError {
            guard case .gone = error, !server.faults.goneAsHTTPStatus else { throw error }
            // The watch cache answers a too-old revision with a stream holding one ERROR event.
            try await out.write(.head(responseHead(head, 200, chunked: true)))
            let status = Discovery.status(code: 410, reason: "Expired", message: error.message)
            try await out.write(.body(.byteBuffer(ByteBuffer(bytes: ObjectStore.eventLine("ERROR", status)))))
            try await out.write(.end(nil))
            return
        }
        let (id, stream) = subscription
        server.faults.registerWatch(id, channel)
        channel.closeFuture.whenComplete { _ in
            store.unsubscribe(id)
            server.faults.unregisterWatch(id)
        }
        let timeout = request.query["timeoutSeconds"].flatMap { Int($0) }.map { Duration.seconds($0) } ?? .seconds(1800)
        let bookmarks = request.query["allowWatchBookmarks"] == "true"
        let interval = server.bookmarkInterval
        let timer = Task {
            let start = ContinuousClock.now
            while !Task.isCancelled, ContinuousClock.now - start < timeout {
                let left = timeout - (ContinuousClock.now - start)
                try? await Task.sleep(for: bookmarks ? min(interval, left) : left)
                if bookmarks, !Task.isCancelled { store.bookmark(id) }
            }
            store.unsubscribe(id)
        }
        defer {
            timer.cancel()
            store.unsubscribe(id)
            server.faults.unregisterWatch(id)
        }
        try await out.write(.head(responseHead(head, 200, chunked: true)))
        let asTable = TableFormat.wanted(head.headers.first(name: "accept"))
        for await line in stream {
            let payload = asTable ? TableFormat.watchLine(request.resource, line) : line
            try await out.write(.body(.byteBuffer(ByteBuffer(bytes: payload))))
        }
        try await out.write(.end(nil))
    }

    private func responseHead(_ request: HTTPRequestHead, _ status: Int, chunked: Bool, length: Int = 0) -> HTTPResponseHead {
        var headers = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-cache, private")])
        if chunked { headers.add(name: "Transfer-Encoding", value: "chunked") } else { headers.add(name: "Content-Length", value: String(length)) }
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        return HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
    }

    private func send(_ out: Writer, _ request: HTTPRequestHead, _ status: Int, _ body: Data) async throws {
        try await out.write(.head(responseHead(request, status, chunked: false, length: body.count)))
        try await out.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
        try await out.write(.end(nil))
    }
}
