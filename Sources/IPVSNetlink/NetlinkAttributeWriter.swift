/// Appends netlink attributes (`struct nlattr` + payload + padding to 4 bytes) in host byte order.
///
/// Nested attributes are written with `nested(_:_:)`, which back-patches the outer length.
/// Every attribute's `nla_len` counts header + payload but not the padding, as the kernel expects.
public struct NetlinkAttributeWriter: Sendable {
    /// The bytes written so far (always a multiple of 4 long).
    public private(set) var bytes: [UInt8]

    /// A writer that starts with `prefix` (for example a generic-netlink header).
    public init(prefix: [UInt8] = []) {
        bytes = []
        bytes.reserveCapacity(160)
        bytes.append(contentsOf: prefix)
    }

    /// A writer that continues `buffer` (whose length must be a multiple of 4); `takeBytes()` gives
    /// it back. Used to write a message straight into a datagram.
    public init(adopting buffer: [UInt8]) {
        bytes = buffer
    }

    /// The bytes written, leaving the writer empty (no copy when the caller held no other reference).
    public mutating func takeBytes() -> [UInt8] {
        let out = bytes
        bytes = []
        return out
    }

    /// Appends an attribute with a raw payload.
    public mutating func append(_ type: UInt16, bytes payload: some Collection<UInt8>) {
        let length = Netlink.attributeHeaderLength + payload.count
        appendHeader(length: length, type: type)
        bytes.append(contentsOf: payload)
        pad()
    }

    public mutating func append(_ type: UInt16, u8 value: UInt8) { append(type, bytes: CollectionOfOne(value)) }
    public mutating func append(_ type: UInt16, u16 value: UInt16) { appendScalar(type, value) }
    public mutating func append(_ type: UInt16, u32 value: UInt32) { appendScalar(type, value) }
    public mutating func append(_ type: UInt16, u64 value: UInt64) { appendScalar(type, value) }
    /// A 16-bit value in network byte order (ports).
    public mutating func append(_ type: UInt16, be16 value: UInt16) { appendScalar(type, value.bigEndian) }

    /// A NUL-terminated string (NLA_NUL_STRING / NLA_STRING with terminator).
    public mutating func append(_ type: UInt16, string: String) {
        let utf8 = string.utf8
        appendHeader(length: Netlink.attributeHeaderLength + utf8.count + 1, type: type)
        bytes.append(contentsOf: utf8)
        bytes.append(0)
        pad()
    }

    /// Two u32 values in one attribute (e.g. `struct ip_vs_flags { flags; mask; }`).
    public mutating func append(_ type: UInt16, u32 first: UInt32, _ second: UInt32) {
        appendHeader(length: Netlink.attributeHeaderLength + 8, type: type)
        withUnsafeBytes(of: first) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: second) { bytes.append(contentsOf: $0) }
    }

    /// Network-order address bytes, zero-filled to `width` (IPVS's 16-byte `union nf_inet_addr`).
    public mutating func append(_ type: UInt16, address high: UInt64, _ low: UInt64, isIPv4: Bool, width: Int) {
        appendHeader(length: Netlink.attributeHeaderLength + width, type: type)
        let start = bytes.count
        if isIPv4 {
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: low).bigEndian) { bytes.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: high.bigEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: low.bigEndian) { bytes.append(contentsOf: $0) }
        }
        let written = bytes.count - start
        if written < width { bytes.append(contentsOf: repeatElement(0, count: width - written)) }
        pad()
    }

    /// A nested attribute (NLA_F_NESTED is not set, matching what ipvsadm and the IPVS policy expect);
    /// `body` appends the inner attributes.
    public mutating func nested(_ type: UInt16, _ body: (inout NetlinkAttributeWriter) -> Void) {
        let start = bytes.count
        appendHeader(length: 0, type: type)
        body(&self)
        let length = bytes.count - start
        storeU16(UInt16(length), at: start)
    }

    /// Appends raw bytes already laid out (e.g. a fixed struct header), padded to 4 bytes.
    public mutating func appendRaw(_ raw: some Collection<UInt8>) {
        bytes.append(contentsOf: raw)
        pad()
    }

    private mutating func appendScalar<T: FixedWidthInteger>(_ type: UInt16, _ value: T) {
        appendHeader(length: Netlink.attributeHeaderLength + MemoryLayout<T>.size, type: type)
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        pad()
    }

    private mutating func appendHeader(length: Int, type: UInt16) {
        withUnsafeBytes(of: UInt16(truncatingIfNeeded: length)) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: type) { bytes.append(contentsOf: $0) }
    }

    private mutating func storeU16(_ value: UInt16, at offset: Int) {
        withUnsafeBytes(of: value) { raw in
            bytes[offset] = raw[0]
            bytes[offset + 1] = raw[1]
        }
    }

    private mutating func pad() {
        let padding = Netlink.align(bytes.count) - bytes.count
        if padding > 0 { bytes.append(contentsOf: repeatElement(0, count: padding)) }
    }
}
