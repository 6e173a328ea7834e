import SwitchyardCore

#if canImport(Glibc)
import Glibc
#endif

/// The server behind `switchyard echo-server`: listens on every address (IPv4 and IPv6) on the given
/// ports and answers each TCP (or SCTP) connection / UDP datagram with one line
/// `NAME <source-ip>:<source-port>\n`, closing stream connections after it.
public struct EchoServer: Sendable {
    /// One listening port.
    public struct Listener: Hashable, Sendable, CustomStringConvertible {
        public let proto: L4Protocol
        public let port: UInt16
        public init(_ proto: L4Protocol, _ port: UInt16) {
            self.proto = proto
            self.port = port
        }
        public var description: String { "\(proto.lowercased)/\(port)" }
    }

    /// The name in every answer (the pod name).
    public let name: String
    /// The ports to listen on.
    public let listeners: [Listener]

    public init(name: String, listeners: [Listener]) {
        self.name = name
        self.listeners = listeners
    }

    /// The answer for a peer: `NAME ADDR:PORT\n`.
    public func answer(for peer: SocketEndpoint) -> String { "\(name) \(peer)\n" }

    /// Opens every socket (IPv6 sockets are IPv6-only; IPv6 is skipped when the namespace has none).
    /// Throws when a port cannot be bound, e.g. SCTP on a kernel without it.
    public func bind() throws -> [BoundSocket] {
        var sockets: [BoundSocket] = []
        do {
            for listener in listeners {
                sockets.append(try BoundSocket(listener, family: .ipv4))
                do { sockets.append(try BoundSocket(listener, family: .ipv6)) } catch let e as SocketError
                    where [EAFNOSUPPORT, EADDRNOTAVAIL].contains(e.code) {}
            }
        } catch {
            sockets.forEach { close($0.fd) }
            throw error
        }
        return sockets
    }

    /// Serves `sockets` forever (until the process is killed).
    public func serve(_ sockets: [BoundSocket]) -> Never {
        var fds = sockets.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        while true {
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 { continue }
            for (index, entry) in fds.enumerated() where entry.revents != 0 {
                let socket = sockets[index]
                if socket.listener.proto.isStream { acceptAll(socket.fd) } else { answerDatagrams(socket.fd) }
            }
        }
    }

    private func acceptAll(_ fd: Int32) {
        while true {
            var peer = SocketAddress()
            let conn = peer.fill { accept(fd, $0, $1) }
            guard conn >= 0 else { return }
            if let endpoint = peer.endpoint {
                let line = Array(answer(for: endpoint).utf8)
                _ = send(conn, line, line.count, Int32(MSG_NOSIGNAL))
            }
            shutdown(conn, Int32(SHUT_WR))
            close(conn)
        }
    }

    private func answerDatagrams(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            var peer = SocketAddress()
            let got = peer.fill { recvfrom(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, $1) }
            guard got >= 0 else { return }
            guard let endpoint = peer.endpoint else { continue }
            let line = Array(answer(for: endpoint).utf8)
            _ = peer.withSockaddr { sendto(fd, line, line.count, 0, $0, $1) }
        }
    }
}

/// A bound (and, for streams, listening) non-blocking wildcard socket.
public struct BoundSocket: Sendable {
    public let listener: EchoServer.Listener
    public let family: IPFamily
    public let fd: Int32

    init(_ listener: EchoServer.Listener, family: IPFamily) throws {
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(domain, listener.proto.socketType | Int32(SOCK_NONBLOCK.rawValue), Int32(listener.proto.number))
        guard fd >= 0 else { throw SocketError("socket(\(listener), \(family))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family == .ipv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let any = family == .ipv4 ? IPAddress(v4: 0) : IPAddress(v6High: 0, low: 0)
        let address = SocketAddress(SocketEndpoint(any, listener.port))
        if address.withSockaddr({ Glibc.bind(fd, $0, $1) }) != 0 {
            let error = SocketError("bind(\(listener), \(family))")
            close(fd)
            throw error
        }
        if listener.proto.isStream, listen(fd, 128) != 0 {
            let error = SocketError("listen(\(listener))")
            close(fd)
            throw error
        }
        self.listener = listener
        self.family = family
        self.fd = fd
    }
}
