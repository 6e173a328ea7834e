import Glibc

/// Where netlink datagrams go: a real socket, or a fake in tests.
/// Implementations are used by one owner at a time (not thread-safe).
public protocol NetlinkTransport: AnyObject {
    /// Sends one datagram holding one or more framed messages. Throws `NetlinkError`.
    func send(_ datagram: [UInt8]) throws
    /// Receives one datagram (one or more messages). Throws `NetlinkError` (`.timeout` when none came).
    func receive() throws -> [UInt8]
    /// The largest datagram `send` accepts (the socket's send buffer); batches are cut to it.
    var maximumDatagramSize: Int { get }
}

extension NetlinkTransport {
    public var maximumDatagramSize: Int { Int.max }
}

/// A raw `AF_NETLINK` socket bound to a kernel-assigned port.
///
/// Sets NETLINK_CAP_ACK (error ACKs echo only the header) and NETLINK_EXT_ACK (kernel error strings),
/// large send and receive buffers (with SO_SNDBUFFORCE/SO_RCVBUFFORCE when privileged, which pass
/// net.core.wmem_max/rmem_max; the plain options otherwise) so that big batches go in one `send()` and
/// their ACKs never overflow the receive queue, and a receive timeout.
public final class NetlinkSocket: NetlinkTransport {
    public let descriptor: Int32
    private var receiveBuffer: [UInt8]
    /// The send buffer the kernel granted; a datagram may be up to this minus 32 bytes (netlink_sendmsg).
    public private(set) var sendBufferBytes = 0
    /// The receive buffer the kernel granted (it counts each queued ACK at its allocation size).
    public private(set) var receiveBufferBytes = 0

    public var maximumDatagramSize: Int { max(16 << 10, sendBufferBytes - 32) }

    /// Opens a socket for `netlinkProtocol` (`Netlink.protocolGeneric`, `Netlink.protocolRoute`).
    public init(protocol netlinkProtocol: Int32, receiveTimeoutSeconds: Int = 30,
                receiveBufferBytes: Int32 = 32 << 20, sendBufferBytes: Int32 = 4 << 20) throws {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkProtocol)
        guard fd >= 0 else { throw NetlinkError.system(call: "socket", errno: errno) }
        descriptor = fd
        receiveBuffer = [UInt8](repeating: 0, count: 1 << 20)
        do {
            if (try? setOption(SOL_SOCKET, NetlinkSocket.receiveBufferForce, receiveBufferBytes, name: "SO_RCVBUFFORCE")) == nil {
                try setOption(SOL_SOCKET, SO_RCVBUF, receiveBufferBytes, name: "SO_RCVBUF")
            }
            if (try? setOption(SOL_SOCKET, NetlinkSocket.sendBufferForce, sendBufferBytes, name: "SO_SNDBUFFORCE")) == nil {
                try setOption(SOL_SOCKET, SO_SNDBUF, sendBufferBytes, name: "SO_SNDBUF")
            }
            self.sendBufferBytes = Int(option(SOL_SOCKET, SO_SNDBUF))
            self.receiveBufferBytes = Int(option(SOL_SOCKET, SO_RCVBUF))
            try setOption(Netlink.solNetlink, Netlink.optionCapAck, 1, name: "NETLINK_CAP_ACK")
            try? setOption(Netlink.solNetlink, Netlink.optionExtAck, 1, name: "NETLINK_EXT_ACK")
            var tv = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
            guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                throw NetlinkError.system(call: "setsockopt(SO_RCVTIMEO)", errno: errno)
            }
            let address = NetlinkSocket.kernelAddress
            let rc = address.withUnsafeBytes {
                bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
            }
            guard rc == 0 else { throw NetlinkError.system(call: "bind", errno: errno) }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// `struct sockaddr_nl` { nl_family = AF_NETLINK; nl_pad; nl_pid = 0; nl_groups = 0 }: for bind, a
    /// kernel-assigned port; for sendto, the kernel. (Glibc's module does not export sockaddr_nl.)
    private static var kernelAddress: [UInt8] {
        var raw = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: UInt16(AF_NETLINK)) { raw[0] = $0[0]; raw[1] = $0[1] }
        return raw
    }

    public func send(_ datagram: [UInt8]) throws {
        while true {
            let sent = datagram.withUnsafeBytes { bytes in
                NetlinkSocket.kernelAddress.withUnsafeBytes { address in
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0,
                           address.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
                }
            }
            if sent >= 0 {
                guard sent == datagram.count else { throw NetlinkError.system(call: "sendto (short)", errno: EMSGSIZE) }
                return
            }
            if errno == EINTR { continue }
            throw NetlinkError.system(call: "sendto", errno: errno)
        }
    }

    public func receive() throws -> [UInt8] {
        while true {
            let count = receiveBuffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(receiveBuffer[0..<count]) }
            switch errno {
            case EINTR: continue
            case EAGAIN: throw NetlinkError.timeout
            default: throw NetlinkError.system(call: "recv", errno: errno)
            }
        }
    }

    /// SO_SNDBUFFORCE / SO_RCVBUFFORCE (asm-generic/socket.h; not exported by Glibc's module).
    static let sendBufferForce: Int32 = 32
    static let receiveBufferForce: Int32 = 33

    private func option(_ level: Int32, _ option: Int32) -> Int32 {
        var v: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, level, option, &v, &length) == 0 ? v : 0
    }

    private func setOption(_ level: Int32, _ option: Int32, _ value: Int32, name: String) throws {
        var v = value
        guard setsockopt(descriptor, level, option, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw NetlinkError.system(call: "setsockopt(\(name))", errno: errno)
        }
    }
}
