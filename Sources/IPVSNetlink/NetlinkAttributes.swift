/// Parsed netlink attributes of one level: type → payload. Later duplicates win.
///
/// Parsing is strict about lengths (an attribute may not run past its container) and
/// ignores the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits when keying by type.
public struct NetlinkAttributes: Sendable {
    /// The bytes parsed (every attribute of this level).
    public let bytes: ArraySlice<UInt8>
    /// (type, payload start, payload end) in arrival order; looked up from the end so that later
    /// duplicates win. One small array per level instead of a hash table: levels hold a dozen
    /// attributes at most, and dumps parse thousands of levels.
    private var entries: [(type: UInt16, start: Int, end: Int)] = []

    /// Parses the attributes in `bytes`. Throws `NetlinkError.malformed` on a bad length.
    public init(_ bytes: ArraySlice<UInt8>) throws {
        self.bytes = bytes
        var entries: [(type: UInt16, start: Int, end: Int)] = []
        entries.reserveCapacity(16)
        try Self.forEach(in: bytes) { type, payload in entries.append((type, payload.startIndex, payload.endIndex)) }
        self.entries = entries
    }

    private func payload(_ type: UInt16) -> ArraySlice<UInt8>? {
        var i = entries.count
        while i > 0 {
            i -= 1
            if entries[i].type == type { return bytes[entries[i].start..<entries[i].end] }
        }
        return nil
    }

    /// Calls `body` with each attribute of `bytes` in order (type without flag bits, payload),
    /// duplicates included, without building a table. Throws `NetlinkError.malformed` on a bad length.
    public static func forEach(in bytes: ArraySlice<UInt8>, _ body: (UInt16, ArraySlice<UInt8>) throws -> Void) throws {
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= Netlink.attributeHeaderLength {
            let length = Int(NetlinkBytes.u16(bytes, at: offset))
            let type = NetlinkBytes.u16(bytes, at: offset + 2) & Netlink.attributeTypeMask
            guard length >= Netlink.attributeHeaderLength, offset + length <= bytes.endIndex else {
                throw NetlinkError.malformed("attribute \(type) has length \(length) at offset \(offset - bytes.startIndex)")
            }
            try body(type, bytes[(offset + Netlink.attributeHeaderLength)..<(offset + length)])
            offset += Netlink.align(length)
        }
    }

    /// The attribute types present.
    public var types: [UInt16] { Set(entries.map(\.type)).sorted() }

    /// The raw payload of `type`.
    public subscript(type: UInt16) -> ArraySlice<UInt8>? { payload(type) }

    public func u8(_ type: UInt16) -> UInt8? { scalar(type) }
    public func u16(_ type: UInt16) -> UInt16? { payload(type, atLeast: 2).map { NetlinkBytes.u16($0, at: $0.startIndex) } }
    public func u32(_ type: UInt16) -> UInt32? { payload(type, atLeast: 4).map { NetlinkBytes.u32($0, at: $0.startIndex) } }
    public func u64(_ type: UInt16) -> UInt64? { payload(type, atLeast: 8).map { NetlinkBytes.u64($0, at: $0.startIndex) } }
    /// A 16-bit network-order value (ports), returned in host order.
    public func be16(_ type: UInt16) -> UInt16? { u16(type).map { UInt16(bigEndian: $0) } }

    /// A string payload up to its first NUL.
    public func string(_ type: UInt16) -> String? {
        guard let p = payload(type) else { return nil }
        let end = p.firstIndex(of: 0) ?? p.endIndex
        return String(decoding: p[p.startIndex..<end], as: UTF8.self)
    }

    /// The attributes nested in `type`.
    public func nested(_ type: UInt16) throws -> NetlinkAttributes? {
        guard let p = payload(type) else { return nil }
        return try NetlinkAttributes(p)
    }

    private func scalar<T: FixedWidthInteger>(_ type: UInt16) -> T? {
        guard let p = payload(type, atLeast: MemoryLayout<T>.size) else { return nil }
        return NetlinkBytes.load(p, at: p.startIndex)
    }

    private func payload(_ type: UInt16, atLeast size: Int) -> ArraySlice<UInt8>? {
        guard let p = payload(type), p.count >= size else { return nil }
        return p
    }
}

/// Host-order integer loads from byte slices at arbitrary (unaligned) offsets.
public enum NetlinkBytes {
    public static func load<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, at offset: Int) -> T {
        precondition(offset >= bytes.startIndex && offset + MemoryLayout<T>.size <= bytes.endIndex, "netlink load out of bounds")
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset - bytes.startIndex, as: T.self) }
    }

    // Concrete loads for the hot paths (attribute headers, dumps): no generic dispatch even unoptimised.
    public static func u16(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt16 {
        let v = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
        return UInt16(littleEndian: v)
    }
    public static func u32(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt32 {
        let v = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        return UInt32(littleEndian: v)
    }
    public static func u64(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt64 {
        UInt64(littleEndian: UInt64(u32(bytes, at: offset).littleEndian) | UInt64(u32(bytes, at: offset + 4).littleEndian) << 32)
    }

    /// Appends `value` in host byte order.
    public static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }
}
