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
        var stats = IPVSStats()
        if let nest = try a.nested(stats64) {
            for (type, path) in fields { stats[keyPath: path] = nest.u64(type) ?? 0 }
        } else if let nest = try a.nested(stats32) {
            for (type, path) in fields {
                let wide = type == IPVSNetlinkConstants.statsInBytes || type == IPVSNetlinkConstants.statsOutBytes
                stats[keyPath: path] = wide ? (nest.u64(type) ?? 0) : UInt64(nest.u32(type) ?? 0)
            }
        }
        return stats
    }
}
