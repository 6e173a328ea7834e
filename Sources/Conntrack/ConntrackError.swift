/// Why a conntrack cleanup failed.
public enum ConntrackError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Entering the named network namespace failed (`/run/netns/NAME` missing, setns refused).
    case namespace(name: String, errno: Int32)
    /// A socket call failed (`operation` names it: socket, bind, send, recv).
    case socket(operation: String, errno: Int32)
    /// The kernel answered a request with an error (`operation`: dump or delete).
    case kernel(operation: String, errno: Int32)
    /// The kernel's answer could not be parsed.
    case malformedReply(String)

    public var description: String {
        switch self {
        case .namespace(let name, let e): return "cannot enter network namespace \(name): errno \(e)"
        case .socket(let op, let e): return "conntrack netlink \(op) failed: errno \(e)"
        case .kernel(let op, let e): return "kernel refused conntrack \(op): errno \(e)"
        case .malformedReply(let why): return "malformed conntrack netlink reply: \(why)"
        }
    }
}
