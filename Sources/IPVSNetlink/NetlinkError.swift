import Glibc

/// Errors from the netlink layer. Every kernel or system failure carries its errno.
public enum NetlinkError: Error, Equatable, CustomStringConvertible {
    /// A system call failed (`socket`, `bind`, `send`, `recv`, `setsockopt`).
    case system(call: String, errno: Int32)
    /// The kernel rejected a request: its errno and extended-ACK message, if any.
    case kernel(errno: Int32, message: String?)
    /// A generic-netlink family (e.g. "IPVS") is not registered: the module is not loaded.
    case familyNotFound(String)
    /// The kernel sent something that does not parse.
    case malformed(String)
    /// No answer arrived within the socket's receive timeout.
    case timeout
    /// An interface name the kernel would reject: empty, longer than 15 bytes (IFNAMSIZ - 1), or with
    /// '/', ':', whitespace or NUL.
    case invalidInterfaceName(String)

    public var description: String {
        switch self {
        case let .system(call, e): return "\(call): \(NetlinkError.describe(e)) (errno \(e))"
        case let .kernel(e, message):
            return "kernel: \(NetlinkError.describe(e)) (errno \(e))" + (message.map { ": \($0)" } ?? "")
        case let .familyNotFound(name): return "generic netlink family \(name) not found"
        case let .malformed(what): return "malformed netlink data: \(what)"
        case .timeout: return "netlink: timed out waiting for the kernel"
        case let .invalidInterfaceName(name): return "invalid interface name \(name.debugDescription)"
        }
    }

    /// `strerror` text for `errno`.
    public static func describe(_ errno: Int32) -> String {
        guard let s = strerror(errno) else { return "error \(errno)" }
        return String(cString: s)
    }
}

/// One request of a batch that the kernel rejected.
public struct NetlinkOperationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// Index of the request in the batch passed to the sender.
    public var index: Int
    /// The kernel's errno (positive).
    public var errno: Int32
    /// The kernel's extended-ACK message, if any.
    public var message: String?

    public init(index: Int, errno: Int32, message: String? = nil) {
        self.index = index; self.errno = errno; self.message = message
    }

    public var description: String {
        "request \(index): \(NetlinkError.describe(errno)) (errno \(errno))" + (message.map { ": \($0)" } ?? "")
    }
}
