import SwitchyardCore

#if canImport(Glibc)
import Glibc
#endif

/// The client behind `switchyard probe`: one fresh socket (new source port) per attempt.
public struct Prober: Sendable {
    public let proto: L4Protocol
    public let target: SocketEndpoint
    /// Budget per attempt, for connecting and again for the answer.
    public let timeout: Duration
    /// Local address to bind before connecting (nil: the kernel chooses).
    public let bindAddress: IPAddress?

    public init(proto: L4Protocol, target: SocketEndpoint, timeout: Duration = .seconds(1), bindAddress: IPAddress? = nil) {
        self.proto = proto
        self.target = target
        self.timeout = timeout
        self.bindAddress = bindAddress
    }

    /// Runs one attempt.
    public func probe() -> ProbeResult {
        let clock = ContinuousClock()
        let start = clock.now
        let fd = socket(target.address.family == .ipv4 ? AF_INET : AF_INET6,
                        proto.socketType | Int32(SOCK_NONBLOCK.rawValue), Int32(proto.number))
        guard fd >= 0 else { return failure(SocketError("socket"), since: start) }
        defer { close(fd) }
        if let bindAddress {
            let local = SocketAddress(SocketEndpoint(bindAddress, 0))
            if local.withSockaddr({ bind(fd, $0, $1) }) != 0 { return failure(SocketError("bind"), since: start) }
        }
        enableErrorReports(fd)
        let remote = SocketAddress(target)
        if remote.withSockaddr({ connect(fd, $0, $1) }) != 0, errno != EINPROGRESS {
            return failure(SocketError("connect"), since: start)
        }
        if proto.isStream {
            guard wait(fd, for: Int16(POLLOUT)) else { return ProbeResult(outcome: .timeout, latency: clock.now - start) }
            var code: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &len)
            let connected = clock.now - start
            if code != 0 { return failure(SocketError("connect", code), since: start) }
            return readAnswer(fd, latency: connected)
        }
        let hello = Array("probe\n".utf8)
        if send(fd, hello, hello.count, 0) < 0 { return failure(SocketError("send"), since: start) }
        return readAnswer(fd, latency: nil, start: start)
    }

    /// Reads one answer line; `latency` nil means "measure until the answer arrives" (UDP).
    private func readAnswer(_ fd: Int32, latency: Duration?, start: ContinuousClock.Instant = .now) -> ProbeResult {
        let clock = ContinuousClock()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while !received.contains(UInt8(ascii: "\n")) {
            guard wait(fd, for: Int16(POLLIN)) else {
                return ProbeResult(outcome: .timeout, latency: latency ?? clock.now - start)
            }
            let got = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if got < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return failure(SocketError("recv"), since: start, latency: latency)
            }
            if got == 0 { break }
            received += buffer[0..<got]
            if !proto.isStream { break }
        }
        let elapsed = latency ?? clock.now - start
        let text = String(decoding: received, as: UTF8.self).split(separator: "\n").first ?? ""
        let words = text.split(separator: " ")
        guard words.count == 2, let seen = SocketEndpoint(words[1]) else {
            return ProbeResult(outcome: .failed("unexpected answer \(text.debugDescription)"), latency: elapsed)
        }
        return ProbeResult(outcome: .answered, answeredBy: String(words[0]), sourceSeen: seen, latency: elapsed)
    }

    /// Maps an errno to an outcome: refusal and ICMP unreachables are outcomes, anything else a failure.
    private func failure(_ error: SocketError, since start: ContinuousClock.Instant, latency: Duration? = nil) -> ProbeResult {
        let elapsed = latency ?? ContinuousClock.now - start
        switch error.code {
        case ECONNREFUSED: return ProbeResult(outcome: .refused, latency: elapsed)
        case EHOSTUNREACH, ENETUNREACH, EACCES, EPERM: return ProbeResult(outcome: .unreachable, latency: elapsed)
        case ETIMEDOUT: return ProbeResult(outcome: .timeout, latency: elapsed)
        default: return ProbeResult(outcome: .failed(error.description.replacingSpaces), latency: elapsed)
        }
    }

    /// Polls `fd` for `events` up to the timeout; true when ready (or in error, which the next call reports).
    private func wait(_ fd: Int32, for events: Int16) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ms = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        while true {
            let n = poll(&entry, 1, ms)
            if n < 0, errno == EINTR { continue }
            return n > 0
        }
    }

    /// Asks for every ICMP error at once: without it UDP reports only port-unreachable, and TCP
    /// treats host/net-unreachable as soft errors (IPv6 SYNs then just time out).
    private func enableErrorReports(_ fd: Int32) {
        var one: Int32 = 1
        if target.address.family == .ipv4 {
            setsockopt(fd, Int32(IPPROTO_IP), IP_RECVERR, &one, socklen_t(MemoryLayout<Int32>.size))
        } else {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_RECVERR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}

private extension String {
    var replacingSpaces: String { String(map { $0 == " " ? "_" : $0 }) }
}
