import Foundation
import SwitchyardCore

/// Pure decisions about kube-proxy's non-iptables leftovers: its nftables tables, its ipsets, its dummy
/// interface and its IPVS virtual services.
public enum KubeProxyLeftovers {
    /// The nftables tables kube-proxy's nftables mode creates, as `(family, name)`.
    public static let nftablesTables: [(family: String, name: String)] = [("ip", "kube-proxy"), ("ip6", "kube-proxy")]

    /// The dummy interface kube-proxy's IPVS mode binds service addresses to.
    public static let dummyInterface = "kube-ipvs0"

    /// kube-proxy's default NodePort range (`--service-node-port-range` of the API server).
    public static let defaultNodePortRange: ClosedRange<UInt16> = 30000...32767

    /// The kube-proxy tables present in `nft list tables` output, as `family name` strings
    /// (e.g. `ip kube-proxy`), in the order `nftablesTables` lists them.
    public static func nftablesTablesPresent(inListing listing: String) -> [String] {
        let present = Set(listing.split(whereSeparator: \.isNewline).map {
            $0.split(separator: " ").map(String.init)
        }.compactMap { words -> String? in
            guard words.count == 3, words[0] == "table" else { return nil }
            return "\(words[1]) \(words[2])"
        })
        return nftablesTables.map { "\($0.family) \($0.name)" }.filter(present.contains)
    }

    /// The ipsets kube-proxy's IPVS mode creates (IPv4 names; IPv6 ones are `KUBE-6-` + the rest).
    /// An allowlist, because other projects name sets `KUBE-*` too (kube-router's KUBE-SRC-*, KUBE-DST-*).
    public static let ipsetNames: Set<String> = [
        "KUBE-LOOP-BACK", "KUBE-CLUSTER-IP", "KUBE-EXTERNAL-IP", "KUBE-EXTERNAL-IP-LOCAL",
        "KUBE-LOAD-BALANCER", "KUBE-LOAD-BALANCER-LOCAL", "KUBE-LOAD-BALANCER-FW",
        "KUBE-LOAD-BALANCER-SOURCE-IP", "KUBE-LOAD-BALANCER-SOURCE-CIDR",
        "KUBE-NODE-PORT-TCP", "KUBE-NODE-PORT-LOCAL-TCP", "KUBE-NODE-PORT-UDP", "KUBE-NODE-PORT-LOCAL-UDP",
        "KUBE-NODE-PORT-SCTP-HASH", "KUBE-NODE-PORT-LOCAL-SCTP-HASH", "KUBE-HEALTH-CHECK-NODE-PORT", "KUBE-IPVS-IPS",
    ]

    /// True when `name` is one of kube-proxy's ipsets (either family).
    public static func isKubeProxyIpset(_ name: String) -> Bool {
        if ipsetNames.contains(name) { return true }
        guard name.hasPrefix("KUBE-6-") else { return false }
        return ipsetNames.contains("KUBE-" + name.dropFirst("KUBE-6-".count))
    }

    /// The sets in `ipset list -n` output that kube-proxy made, in listing order.
    public static func ipsets(inListing listing: String) -> [String] {
        listing.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter(isKubeProxyIpset)
    }

    /// The IPVS virtual services kube-proxy made, conservatively: a TCP/UDP/SCTP service whose address is
    /// bound to kube-ipvs0 (ClusterIPs, external IPs, load-balancer IPs), or whose address is one of the
    /// node's own addresses on a port inside the NodePort range.
    /// Firewall-mark services are never kube-proxy's and are always kept.
    public static func ipvsServicesToDelete(
        _ services: [(proto: L4Protocol, address: IPAddress, port: UInt16)],
        dummyAddresses: Set<IPAddress>,
        nodeAddresses: Set<IPAddress>,
        nodePortRange: ClosedRange<UInt16> = defaultNodePortRange
    ) -> [Int] {
        services.indices.filter { i in
            let s = services[i]
            if dummyAddresses.contains(s.address) { return true }
            return nodeAddresses.contains(s.address) && nodePortRange.contains(s.port)
        }
    }
}

