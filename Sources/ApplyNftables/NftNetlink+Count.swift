import RenderNftables

#if canImport(Glibc)
import Glibc
#endif

extension NftNetlink {
    /// Sends the dump request `m` (sequence `seq`) and calls `each` with every reply message's
    /// payload bounds (after the 16-byte netlink and 4-byte nfgen headers) until NLMSG_DONE.
    /// Returns false when the kernel answers ENOENT (no such table or set).
    func dump(_ m: NetlinkMessage, seq: UInt32, each: ([UInt8], Int, Int) -> Void) throws -> Bool {
        let msg = m.finished
        guard msg.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == msg.count else {
            throw Refusal(index: -1, errno: errno)
        }
        var buf = [UInt8](repeating: 0, count: 1 << 17)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { if errno == EINTR { continue }; throw Refusal(index: -1, errno: errno) }
            var off = 0
            while off + 16 <= n {
                let len = Int(Self.u32(buf, off)), type = Self.u16(buf, off + 4), mseq = Self.u32(buf, off + 8)
                guard len >= 16, off + len <= n else { break }
                defer { off += (len + 3) & ~3 }
                guard mseq == seq else { continue }
                if type == 3 /* NLMSG_DONE */ { return true }
                if type == 2 /* NLMSG_ERROR */ {
                    let err = -Int32(bitPattern: Self.u32(buf, off + 16))
                    if err == 0 { return true }
                    if err == ENOENT { return false }
                    throw Refusal(index: -1, errno: err)
                }
                each(buf, off + 20, off + len)
            }
        }
    }

    /// The number of elements the kernel holds in `set` of our `table`, by a GETSETELEM dump
    /// (elements are counted, not decoded); nil when the table or set does not exist.
    func elementCount(family: NftFamily, table: String, set: String) throws -> Int? {
        let s = reserve(1)
        let m = Self.elementDumpRequest(family: family, table: table, set: set, seq: s)
        var count = 0
        let found = try dump(m, seq: s) { buf, from, to in count += Self.listElements(buf, from: from, to: to) }
        return found ? count : nil
    }

    /// A GETSETELEM dump request for every element of `set` in `table`.
    static func elementDumpRequest(family: NftFamily, table: String, set: String, seq: UInt32) -> NetlinkMessage {
        var m = NetlinkMessage(type: subsys << 8 | 13 /* GETSETELEM */, flags: NetlinkMessage.request | 0x300 /* DUMP */,
                               seq: seq, family: family == .ip ? 2 : 10)
        m.attr(1, string: table)
        m.attr(2, string: set)
        return m
    }

    /// Counts NFTA_LIST_ELEM entries inside the NFTA_SET_ELEM_LIST_ELEMENTS attribute of one message.
    private static func listElements(_ b: [UInt8], from: Int, to: Int) -> Int {
        var off = from
        while off + 4 <= to {
            let len = Int(u16(b, off)), type = u16(b, off + 2) & 0x3fff
            guard len >= 4 else { return 0 }
            if type == 3 {
                var inner = off + 4, n = 0
                while inner + 4 <= off + len {
                    let l = Int(u16(b, inner)); guard l >= 4 else { break }
                    n += 1; inner += (l + 3) & ~3
                }
                return n
            }
            off += (len + 3) & ~3
        }
        return 0
    }
}
