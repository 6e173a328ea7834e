import SwitchyardCore

#if canImport(Glibc)
import Glibc
#endif

/// An IP address and port, printed `ADDR:PORT` (IPv6 without brackets; parse at the last colon).
public struct SocketEndpoint: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let port: UInt16

    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `ADDR:PORT` (the last colon separates the port) or `[V6]:PORT`.
    public init?(_ text: some StringProtocol) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let address = IPAddress(host), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        self.init(address, port)
    }

    public var description: String { "\(address):\(port)" }
}

/// A `sockaddr_in` / `sockaddr_in6` built from or read into an `IPAddress`.
struct SocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t

    init(_ endpoint: SocketEndpoint) {
        switch endpoint.address.family {
        case .ipv4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = endpoint.port.bigEndian
            sin.sin_addr.s_addr = endpoint.address.v4Value.bigEndian
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            withUnsafeMutableBytes(of: &storage) { raw in raw.storeBytes(of: sin, as: sockaddr_in.self) }
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = endpoint.port.bigEndian
            let bytes = endpoint.address.bytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in raw.copyBytes(from: bytes) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            withUnsafeMutableBytes(of: &storage) { raw in raw.storeBytes(of: sin6, as: sockaddr_in6.self) }
        }
    }

    /// An empty address for `accept` / `recvfrom` / `getpeername` to fill.
    init() { length = socklen_t(MemoryLayout<sockaddr_storage>.size) }

    /// The address as an endpoint; IPv4-mapped IPv6 addresses come back as IPv4.
    var endpoint: SocketEndpoint? {
        withUnsafeBytes(of: storage) { raw -> SocketEndpoint? in
            switch Int32(storage.ss_family) {
            case AF_INET:
                let sin = raw.load(as: sockaddr_in.self)
                return SocketEndpoint(IPAddress(v4: UInt32(bigEndian: sin.sin_addr.s_addr)), UInt16(bigEndian: sin.sin_port))
            case AF_INET6:
                let sin6 = raw.load(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
                guard var address = IPAddress(bytes: bytes) else { return nil }
                if address.high == 0, address.low >> 32 == 0xffff { address = IPAddress(v4: address.v4Value) }
                return SocketEndpoint(address, UInt16(bigEndian: sin6.sin6_port))
            default:
                return nil
            }
        }
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafeBytes(of: storage) { raw in body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }

    /// Lets `body` fill the address (accept, recvfrom, getpeername…).
    mutating func fill<T>(_ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> T) -> T {
        var len = length
        let result = withUnsafeMutableBytes(of: &storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &len)
        }
        length = len
        return result
    }
}

/// The socket type and protocol number used for a transport. SCTP uses the one-to-one
/// (SOCK_STREAM) style, so the TCP code paths serve it unchanged where the kernel has SCTP.
extension L4Protocol {
    var socketType: Int32 {
        switch self {
        case .udp: return Int32(SOCK_DGRAM.rawValue)
        case .tcp, .sctp: return Int32(SOCK_STREAM.rawValue)
        }
    }

    var isStream: Bool { self != .udp }
}

/// An errno value with the call that produced it.
public struct SocketError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let code: Int32

    init(_ call: String, _ code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    public var description: String { "\(call): \(String(cString: strerror(code)))" }
}
