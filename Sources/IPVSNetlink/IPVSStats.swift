/// IPVS traffic counters of a service or destination (IPVS_STATS_ATTR_*).
public struct IPVSStats: Hashable, Sendable {
    public var connections: UInt64 = 0
    public var inPackets: UInt64 = 0
    public var outPackets: UInt64 = 0
    public var inBytes: UInt64 = 0
    public var outBytes: UInt64 = 0
    public var connectionRate: UInt64 = 0
    public var inPacketRate: UInt64 = 0
    public var outPacketRate: UInt64 = 0
    public var inByteRate: UInt64 = 0
    public var outByteRate: UInt64 = 0

    public init() {}

    private static var fields: [(UInt16, WritableKeyPath<IPVSStats, UInt64>)] { [
        (IPVSNetlinkConstants.statsConnections, \.connections),
        (IPVSNetlinkConstants.statsInPackets, \.inPackets),
        (IPVSNetlinkConstants.statsOutPackets, \.outPackets),
        (IPVSNetlinkConstants.statsInBytes, \.inBytes),
        (IPVSNetlinkConstants.statsOutBytes, \.outBytes),
        (IPVSNetlinkConstants.statsConnectionRate, \.connectionRate),
        (IPVSNetlinkConstants.statsInPacketRate, \.inPacketRate),
        (IPVSNetlinkConstants.statsOutPacketRate, \.outPacketRate),
        (IPVSNetlinkConstants.statsInByteRate, \.inByteRate),
        (IPVSNetlinkConstants.statsOutByteRate, \.outByteRate),
    ] }

    /// Writes the 64-bit form (every counter a u64), as the kernel does in *_STATS64.
    public func encode64(into w: inout NetlinkAttributeWriter) {
        for (type, path) in IPVSStats.fields { w.append(type, u64: self[keyPath: path]) }
    }

    /// Reads the 64-bit nest when present, else the 32-bit one (bytes u64, the rest u32), else zeros.
    static func decode(from a: NetlinkAttributes, stats64: UInt16, stats32: UInt16) throws -> IPVSStats {
        if let nest = a[stats64] { return try decode(nest, wide: true) }
        if let nest = a[stats32] { return try decode(nest, wide: false) }
        return IPVSStats()
    }

    /// One stats nest, walked once (no table, no key paths: dumps decode one per entry).
    static func decode(_ nest: ArraySlice<UInt8>, wide: Bool) throws -> IPVSStats {
        let c = IPVSNetlinkConstants.self
        var s = IPVSStats()
        try NetlinkAttributes.forEach(in: nest) { type, p in
            let isBytes = type == c.statsInBytes || type == c.statsOutBytes
            let v: UInt64
            if (wide || isBytes) && p.count >= 8 { v = NetlinkBytes.u64(p, at: p.startIndex) }
            else if p.count >= 4 { v = UInt64(NetlinkBytes.u32(p, at: p.startIndex)) }
            else { return }
            switch type {
            case c.statsConnections: s.connections = v
            case c.statsInPackets: s.inPackets = v
            case c.statsOutPackets: s.outPackets = v
            case c.statsInBytes: s.inBytes = v
            case c.statsOutBytes: s.outBytes = v
            case c.statsConnectionRate: s.connectionRate = v
            case c.statsInPacketRate: s.inPacketRate = v
            case c.statsOutPacketRate: s.outPacketRate = v
            case c.statsInByteRate: s.inByteRate = v
            case c.statsOutByteRate: s.outByteRate = v
            default: break
            }
        }
        return s
    }
}
