/// Builds netlink messages (nlmsghdr + nfgenmsg + attributes) into one byte buffer.
struct NetlinkMessage {
    static let request: UInt16 = 0x1, ack: UInt16 = 0x4, create: UInt16 = 0x400
    private(set) var bytes: [UInt8] = []
    private var nests: [Int] = []

    /// Starts a message with the nfnetlink header: `family` (NFPROTO_*) and `resID` (big-endian).
    init(type: UInt16, flags: UInt16, seq: UInt32, family: UInt8, resID: UInt16 = 0) {
        put32(0); put16(type); put16(flags); put32(seq); put32(0)
        bytes += [family, 0, UInt8(resID >> 8), UInt8(resID & 0xff)]
    }

    mutating func put16(_ v: UInt16) { withUnsafeBytes(of: v) { bytes += $0 } }
    mutating func put32(_ v: UInt32) { withUnsafeBytes(of: v) { bytes += $0 } }
    private mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }

    /// An attribute with a raw payload.
    mutating func attr(_ type: UInt16, _ payload: [UInt8]) {
        put16(UInt16(4 + payload.count)); put16(type); bytes += payload; pad()
    }
    /// A NUL-terminated string attribute.
    mutating func attr(_ type: UInt16, string: String) { attr(type, Array(string.utf8) + [0]) }
    /// A big-endian u32 attribute.
    mutating func attr(_ type: UInt16, be32 v: UInt32) { attr(type, [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]) }

    /// Opens a nested attribute; close it with `end()`.
    mutating func begin(_ type: UInt16) { nests.append(bytes.count); put16(0); put16(type | 0x8000) }
    mutating func end() {
        let start = nests.removeLast()
        let len = UInt16(bytes.count - start)
        bytes[start] = UInt8(len & 0xff); bytes[start + 1] = UInt8(len >> 8)
    }

    /// The finished message with its length filled in.
    var finished: [UInt8] {
        var b = bytes
        let len = UInt32(b.count)
        withUnsafeBytes(of: len) { for i in 0..<4 { b[i] = $0[i] } }
        return b
    }
}
