#if canImport(Glibc)
import Glibc
#endif
import SwitchyardCore

/// A NETLINK_NETFILTER socket speaking ctnetlink: dumps a family's table and deletes entries.
/// Not thread-safe; `ConntrackCleaner` serialises its use.
final class ConntrackSocket {
    let fd: Int32
    private var seq: UInt32 = 0
    private var buffer = [UInt8](repeating: 0, count: 1 << 17)

    /// Opens the socket, inside `/run/netns/NAME` when `netns` is given.
    init(netns: String?) throws {
        fd = try NamespaceThread.run(netns: netns) {
            let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 12 /* NETLINK_NETFILTER */)
            guard s >= 0 else { throw ConntrackError.socket(operation: "socket", errno: errno) }
            // struct sockaddr_nl { AF_NETLINK, pad, pid 0 (kernel assigns), groups 0 }; Glibc's module lacks it.
            let family = UInt16(AF_NETLINK)
            let addr: [UInt8] = [UInt8(family & 0xff), UInt8(family >> 8)] + [UInt8](repeating: 0, count: 10)
            let rc = addr.withUnsafeBytes { bind(s, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
            guard rc == 0 else { let e = errno; close(s); throw ConntrackError.socket(operation: "bind", errno: e) }
            var tv = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var size: Int32 = 1 << 20
            setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, 4)
            setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, 4)
            return s
        }
    }

    deinit { close(fd) }

    private func nextSeq() -> UInt32 { seq &+= 1; return seq }

    /// Every entry of `family`. A dump the kernel flags as interrupted (the table changed under
    /// it) is retried a few times, then accepted: cleanup runs again on the next sync.
    func dump(family: IPFamily) throws -> [ConntrackEntry] {
        var attempt = 0
        while true {
            let (entries, interrupted) = try dumpOnce(family: family)
            attempt += 1
            if !interrupted || attempt >= 3 { return entries }
        }
    }

    private func dumpOnce(family: IPFamily) throws -> (entries: [ConntrackEntry], interrupted: Bool) {
        let s = nextSeq()
        try send(ConntrackCodec.dumpRequest(family: family, seq: s))
        var entries: [ConntrackEntry] = []
        var interrupted = false
        while true {
            for m in try receive() where m.seq == s {
                if m.flags & ConntrackCodec.flagDumpInterrupted != 0 { interrupted = true }
                switch m.type {
                case ConntrackCodec.nlmsgDone: return (entries, interrupted)
                case ConntrackCodec.nlmsgError:
                    let code = try ConntrackCodec.errorCode(m.payload)
                    if code == 0 { return (entries, interrupted) }
                    throw ConntrackError.kernel(operation: "dump", errno: code)
                default:
                    if let e = ConntrackCodec.entry(m) { entries.append(e) }
                }
            }
        }
    }

    /// Deletes `entries` in batches of acked requests; returns how many the kernel removed.
    /// Entries already gone (expired, or replaced: the id differs) answer ENOENT and are not counted.
    func delete(_ entries: [ConntrackEntry], batch: Int = 256) throws -> Int {
        var deleted = 0
        var start = 0
        while start < entries.count {
            let slice = entries[start..<min(start + batch, entries.count)]
            start += slice.count
            var pending = Set<UInt32>()
            var bytes: [UInt8] = []
            for e in slice {
                let s = nextSeq()
                pending.insert(s)
                bytes += ConntrackCodec.deleteRequest(e, seq: s)
            }
            try send(bytes)
            var failure: Int32?
            while !pending.isEmpty {
                for m in try receive() where m.type == ConntrackCodec.nlmsgError && pending.remove(m.seq) != nil {
                    let code = try ConntrackCodec.errorCode(m.payload)
                    if code == 0 { deleted += 1 } else if code != ENOENT, failure == nil { failure = code }
                }
            }
            if let failure { throw ConntrackError.kernel(operation: "delete", errno: failure) }
        }
        return deleted
    }

    private func send(_ bytes: [UInt8]) throws {
        while true {
            // Unconnected netlink sockets send to the kernel.
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            if n == bytes.count { return }
            if n < 0, errno == EINTR { continue }
            throw ConntrackError.socket(operation: "send", errno: n < 0 ? errno : EMSGSIZE)
        }
    }

    private func receive() throws -> [ConntrackCodec.Message] {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConntrackError.socket(operation: "recv", errno: errno)
            }
            return try ConntrackCodec.messages(buffer[0..<n])
        }
    }
}
