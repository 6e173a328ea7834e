import CNftables
import RenderNftables

#if canImport(Glibc)
import Glibc
#endif

/// A persistent NETLINK_NETFILTER socket that commits set-element deltas as ONE nfnetlink batch
/// (BATCH_BEGIN, one NEWSETELEM/DELSETELEM message per set chunk, BATCH_END): one atomic
/// transaction with no nft parsing and no cache fetch.
final class NftNetlink: @unchecked Sendable {
    let fd: Int32
    private var seq: UInt32 = 1
    /// Usable send buffer in bytes (grown by `ensureSendBuffer`).
    private var sendBuffer = 0

    static let subsys: UInt16 = 10            // NFNL_SUBSYS_NFTABLES
    static let newSetElem: UInt16 = 12, delSetElem: UInt16 = 14, getGen: UInt16 = 16
    static let batchBegin: UInt16 = 16, batchEnd: UInt16 = 17

    /// Opens the socket, inside `/run/netns/NAME` when `netns` is given.
    init(netns: String?) throws {
        fd = try NamespaceThread.run(netns: netns) {
            let s = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 12 /* NETLINK_NETFILTER */)
            guard s >= 0 else { throw NamespaceThread.Failure(message: "netlink socket: errno \(errno)") }
            var addr = sockaddr_nl(); addr.nl_family = sa_family_t(AF_NETLINK)
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
            }
            guard rc == 0 else { close(s); throw NamespaceThread.Failure(message: "netlink bind: errno \(errno)") }
            var tv = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var buf: Int32 = 4 << 20
            setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, 4)
            setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, 4)
            return s
        }
    }

    deinit { close(fd) }

    /// One element command: add or delete `elements` of `set` in our `table` of `family`.
    struct Op { var add: Bool; var family: NftFamily; var table: String; var set: String; var elements: [NftElement] }

    /// A kernel refusal of message `index` (0-based among the ops' messages).
    struct Refusal: Error { var index: Int; var errno: Int32 }

    /// Encoded messages with, for each, the 0-based line of the equivalent script (one
    /// `add/delete element` line per `chunk` elements of an op) it carries elements of.
    struct Encoded { var messages: [[UInt8]] = []; var lines: [Int] = []; var bytes = 0 }

    /// Largest element list per message: a netlink attribute's length is 16 bits.
    static let maxListBytes = 60_000

    /// Encodes `ops` with sequence numbers from `firstSeq`, or nil when some element is outside
    /// what the codec knows. A message holds at most `chunk` elements and `maxListBytes` of them.
    static func encode(_ ops: [Op], firstSeq: UInt32, chunk: Int = 1000) -> Encoded? {
        var out = Encoded()
        var s = firstSeq
        var line = 0
        for op in ops {
            var m: NetlinkMessage?
            var listStart = 0
            func finish() {
                guard var msg = m else { return }
                msg.end()
                out.messages.append(msg.finished)
                m = nil
            }
            for (i, el) in op.elements.enumerated() {
                if i % chunk == 0 || (m.map { $0.bytes.count - listStart > maxListBytes } ?? true) {
                    finish()
                    let flags = NetlinkMessage.request | NetlinkMessage.ack | (op.add ? NetlinkMessage.create : 0)
                    var msg = NetlinkMessage(type: subsys << 8 | (op.add ? newSetElem : delSetElem), flags: flags, seq: s,
                                             family: op.family == .ip ? 2 : 10)
                    s &+= 1
                    msg.attr(1, string: op.table)
                    msg.attr(2, string: op.set)
                    listStart = msg.bytes.count
                    msg.begin(3)
                    m = msg
                    out.lines.append(line + i / chunk)
                }
                guard let key = NftElementCodec.key(el, set: op.set, family: op.family) else { return nil }
                m!.begin(1)                          // NFTA_LIST_ELEM
                m!.begin(1); m!.attr(1, key); m!.end() // NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE }
                if op.add {
                    guard let data = NftElementCodec.data(el, set: op.set, family: op.family) else { return nil }
                    switch data {
                    case .none: break
                    case .value(let v): m!.begin(2); m!.attr(1, v); m!.end()
                    case .verdict(let code, let chain):
                        m!.begin(2); m!.begin(2)
                        m!.attr(1, be32: UInt32(bitPattern: code)); m!.attr(2, string: chain)
                        m!.end(); m!.end()
                    }
                    if let c = el.comment, c.utf8.count < 250 {
                        // NFTNL_UDATA_SET_ELEM_COMMENT TLV, as nft writes it (listings show it).
                        m!.attr(6, [0, UInt8(c.utf8.count + 1)] + Array(c.utf8) + [0])
                    }
                }
                m!.end()
            }
            finish()
            line += (op.elements.count + chunk - 1) / chunk
        }
        out.bytes = out.messages.reduce(0) { $0 + $1.count }
        return out
    }

    /// Sends `messages` (from `encode`) as one batch and waits until the kernel answered it.
    /// Throws `Refusal` for the first message the kernel refused (the batch is then aborted whole).
    /// Message `i` is sent with sequence number `firstSeq + i` whatever its encoder stamped, and
    /// only the last asks for an ack: the kernel reports every failing message anyway and answers
    /// all at the end of the batch, and tens of thousands of acks (one per rule of a full load)
    /// would overflow the receive buffer.
    func commit(_ messages: [[UInt8]], firstSeq: UInt32) throws {
        guard !messages.isEmpty else { return }
        var batch = NetlinkMessage(type: Self.batchBegin, flags: NetlinkMessage.request, seq: firstSeq &- 1, family: 0, resID: Self.subsys).finished
        batch.reserveCapacity(messages.reduce(40) { $0 + $1.count })
        for (i, m) in messages.enumerated() {
            let at = batch.count
            batch += m
            withUnsafeBytes(of: firstSeq &+ UInt32(i)) { for k in 0..<4 { batch[at + 8 + k] = $0[k] } }
            if i < messages.count - 1 { batch[at + 6] &= ~UInt8(NetlinkMessage.ack) } else { batch[at + 6] |= UInt8(NetlinkMessage.ack) }
        }
        batch += NetlinkMessage(type: Self.batchEnd, flags: NetlinkMessage.request, seq: firstSeq &+ UInt32(messages.count), family: 0, resID: Self.subsys).finished
        ensureSendBuffer(batch.count)
        let sent = batch.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == batch.count else { throw Refusal(index: -1, errno: errno) }
        let last = firstSeq &+ UInt32(messages.count - 1)
        var done = false
        var refusal: Refusal?
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while !done {
            // After a refusal the kernel has queued all its answers: read what is left, never wait.
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, refusal == nil ? 0 : Int32(MSG_DONTWAIT)) }
            if n < 0 {
                if errno == EINTR { continue }
                if let refusal { throw refusal }
                throw Refusal(index: -1, errno: errno)
            }
            var off = 0
            while off + 16 <= n {
                let len = Int(Self.u32(buf, off)), type = Self.u16(buf, off + 4), mseq = Self.u32(buf, off + 8)
                guard len >= 16 else { break }
                let index = Int(Int32(bitPattern: mseq &- firstSeq))
                // NLMSG_ERROR of this batch (a failed earlier batch's leftovers have other numbers);
                // the batch header's number means the kernel refused the batch itself.
                if type == 2 /* NLMSG_ERROR */, off + 20 <= n, index >= -1, index < messages.count {
                    let err = Int32(bitPattern: Self.u32(buf, off + 16))
                    if err != 0, refusal == nil { refusal = Refusal(index: index, errno: -err) }
                    if mseq == last || index == -1 { done = true }
                }
                off += (len + 3) & ~3
            }
        }
        if let refusal { throw refusal }
    }

    /// Commits `messages` (consecutive sequence numbers from `firstSeq`) as one batch when it fits
    /// `maxBatchBytes` (nil: no limit) and the kernel takes it; otherwise as consecutive batches of
    /// at most that size (8 MiB when the kernel refused the whole). Only one batch is atomic: a
    /// split load serves part of the new data until its last batch committed.
    func commitLarge(_ messages: [[UInt8]], firstSeq: UInt32, maxBatchBytes: Int?) throws {
        let total = messages.reduce(0) { $0 + $1.count }
        if maxBatchBytes.map({ total <= $0 }) ?? true {
            do { return try commit(messages, firstSeq: firstSeq) } catch let r as Refusal
                where r.index == -1 && [EMSGSIZE, ENOBUFS, ENOMEM].contains(r.errno) {}
        }
        let limit = maxBatchBytes ?? (8 << 20)
        var start = 0
        while start < messages.count {
            var end = start, bytes = 0
            while end < messages.count && (end == start || bytes + messages[end].count <= limit) { bytes += messages[end].count; end += 1 }
            try commit(Array(messages[start..<end]), firstSeq: firstSeq &+ UInt32(start))
            start = end
        }
    }

    /// A batch must reach the kernel in one `send` (nfnetlink aborts a batch without its end
    /// message), so the send buffer grows to the batch: SO_SNDBUFFORCE (CAP_NET_ADMIN, which
    /// writing nftables needs anyway) beyond `wmem_max`.
    private func ensureSendBuffer(_ bytes: Int) {
        guard bytes + 4096 > sendBuffer else { return }
        var want = Int32(clamping: bytes + (1 << 20))
        if setsockopt(fd, SOL_SOCKET, 32 /* SO_SNDBUFFORCE */, &want, 4) != 0 {
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, 4)
        }
        var have: Int32 = 0, len = socklen_t(4)
        getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len)
        sendBuffer = Int(have) / 2   // the kernel reports twice the usable size
    }

    /// Sequence numbers for the next batch of `count` messages (plus begin/end around them).
    func reserve(_ count: Int) -> UInt32 {
        let first = seq &+ 1
        seq &+= UInt32(count + 2)
        return first
    }

    /// Moves the sequence past `last` (after encoding more messages than reserved).
    func skip(past last: UInt32) { if last &- seq < 1 << 31 { seq = last &+ 2 } }

    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o+1]) << 8 | UInt32(b[o+2]) << 16 | UInt32(b[o+3]) << 24 }
    static func u16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o+1]) << 8 }
}
