import SwitchyardCore

/// Hands out the addresses and ports of a synthetic cluster, uniquely and reproducibly.
///
/// - ClusterIPs: 10.96.0.0/12 (and fd00:10:96::/108 at the same offset), offsets drawn from a
///   seeded permutation of the 2^20 offsets, skipping .0, .1 (the API service) and .10 (DNS).
/// - Pod IPs: 10.244.N.H (and fd00:10:244:N::H) for node N, host H in 1...254.
/// - Node IPs: 192.0.2.(N+1), and 2001:db8::(N+1) for dual-stack.
/// - LoadBalancer IPs: 203.0.113.1–254, then 198.51.100.1–254, then (past 508) the
///   RFC 2544 benchmarking range 198.18.0.0/15, never routed publicly; IPv6 from 2001:db8:1b::/64.
/// - NodePorts: unique, drawn from a shuffled pool of the configured range; released ports
///   return to the pool.
struct AddressAllocator: Sendable {
    static let clusterIPSpace = 1 << 20
    private static let reservedOffsets: Set<Int> = [0, 1, 10]

    private let multiplier: Int
    private let offset: Int
    private var nextClusterIndex = 0
    private var nextLoadBalancerIndex = 0
    private var nodePortPool: [Int]
    private var rng: SplitMix64

    init(rng: SplitMix64, nodePortRange: ClosedRange<Int>) {
        var r = rng
        multiplier = (r.below(Self.clusterIPSpace) | 1)
        offset = r.below(Self.clusterIPSpace)
        let lower = max(1, nodePortRange.lowerBound), upper = min(65535, nodePortRange.upperBound)
        nodePortPool = lower <= upper ? Array(lower...upper) : []
        self.rng = r
    }

    /// The next unused ClusterIP offset (wraps after 2^20 − 3 services).
    mutating func nextClusterOffset() -> Int {
        while true {
            let i = nextClusterIndex % Self.clusterIPSpace
            nextClusterIndex += 1
            let o = (i &* multiplier &+ offset) & (Self.clusterIPSpace - 1)
            if !Self.reservedOffsets.contains(o) { return o }
        }
    }

    static func clusterIP(offset: Int, family: IPFamily) -> IPAddress {
        switch family {
        case .ipv4: return IPAddress(v4: 0x0A60_0000 | UInt32(offset))
        case .ipv6: return IPAddress(v6High: 0xFD00_0010_0096_0000, low: UInt64(offset))
        }
    }

    static func podIP(node: Int, host: Int, family: IPFamily) -> IPAddress {
        switch family {
        case .ipv4: return IPAddress(v4: 0x0AF4_0000 | UInt32(node & 0xFF) << 8 | UInt32(host & 0xFF))
        case .ipv6: return IPAddress(v6High: 0xFD00_0010_0244_0000 | UInt64(node & 0xFFFF), low: UInt64(host))
        }
    }

    static func nodeIP(node: Int, family: IPFamily) -> IPAddress {
        switch family {
        case .ipv4: return IPAddress(v4: 0xC000_0200 | UInt32(node + 1))
        case .ipv6: return IPAddress(v6High: 0x2001_0DB8_0000_0000, low: UInt64(node + 1))
        }
    }

    /// The next LoadBalancer ingress IP of a family (never reused).
    mutating func nextLoadBalancerIP(family: IPFamily) -> IPAddress {
        let i = nextLoadBalancerIndex
        nextLoadBalancerIndex += 1
        if family == .ipv6 { return IPAddress(v6High: 0x2001_0DB8_001B_0000, low: UInt64(i + 1)) }
        switch i {
        case 0..<254: return IPAddress(v4: 0xCB00_7100 | UInt32(i + 1))          // 203.0.113.0/24
        case 254..<508: return IPAddress(v4: 0xC633_6400 | UInt32(i - 254 + 1))  // 198.51.100.0/24
        default:                                                                   // 198.18.0.0/15
            let k = (i - 508) % 131_070
            return IPAddress(v4: 0xC612_0000 | UInt32(k + 1))
        }
    }

    /// Number of NodePorts still free.
    var freeNodePorts: Int { nodePortPool.count }

    /// `count` unique NodePorts, or nil (nothing taken) when the pool is too small.
    mutating func takeNodePorts(_ count: Int) -> [Int]? {
        guard count <= nodePortPool.count else { return nil }
        var out: [Int] = []
        for _ in 0..<count {
            let i = rng.below(nodePortPool.count)
            out.append(nodePortPool[i])
            nodePortPool.swapAt(i, nodePortPool.count - 1)
            nodePortPool.removeLast()
        }
        return out
    }

    /// Returns NodePorts of a removed service to the pool.
    mutating func release(nodePorts: [Int]) { nodePortPool.append(contentsOf: nodePorts) }
}
