import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP answer.
public struct HTTPReply: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: String
    public var extraHeaders: [(String, String)]

    public init(status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", body: String,
                extraHeaders: [(String, String)] = []) {
        self.status = status; self.contentType = contentType; self.body = body; self.extraHeaders = extraHeaders
    }

    public static func notFound() -> HTTPReply { HTTPReply(status: .notFound, body: "404 page not found\n") }
}

/// A minimal HTTP/1.1 server on swift-nio: every request is answered by `respond` from its head
/// (bodies are ignored); keep-alive is honoured.
public final class HTTPServer: Sendable {
    private let channel: any Channel
    private let connections: Connections
    /// The bound port (useful when binding port 0).
    public let port: Int
    public let host: String

    private init(channel: any Channel, connections: Connections, host: String) {
        self.channel = channel
        self.connections = connections
        self.host = host
        self.port = channel.localAddress?.port ?? 0
    }

    /// Binds `host:port` and starts answering.
    public static func start(host: String, port: Int,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             respond: @escaping @Sendable (HTTPRequestHead) -> HTTPReply) async throws -> HTTPServer {
        let connections = Connections()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPReplyHandler(respond: respond))
                }
            }
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .bind(host: host, port: port).get()
        return HTTPServer(channel: channel, connections: connections, host: host)
    }

    /// Stops listening and closes open (keep-alive) connections.
    public func close() async {
        try? await channel.close().get()
        for c in connections.takeAll() { try? await c.close().get() }
    }
}

/// Accepted connections, so closing a server also drops its keep-alive clients.
final class Connections: Sendable {
    private let box = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        box.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [box] _ in _ = box.withLockedValue { $0.removeValue(forKey: id) } }
    }
    func takeAll() -> [any Channel] { box.withLockedValue { let all = Array($0.values); $0 = [:]; return all } }
}

/// Answers each request once its end arrives.
final class HTTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let respond: @Sendable (HTTPRequestHead) -> HTTPReply
    private var head: HTTPRequestHead?

    init(respond: @escaping @Sendable (HTTPRequestHead) -> HTTPReply) { self.respond = respond }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            write(respond(head), for: head, context: context)
        }
    }

    private func write(_ reply: HTTPReply, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        let keepAlive = request.isKeepAlive
        var buffer = context.channel.allocator.buffer(capacity: reply.body.utf8.count)
        buffer.writeString(reply.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: reply.contentType)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        for (name, value) in reply.extraHeaders { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let response = HTTPResponseHead(version: request.version, status: reply.status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if request.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}
