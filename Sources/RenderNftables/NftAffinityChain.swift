import Model
import SwitchyardCore

/// The shared chain of the ClientIP-affinity frontends of one path with N endpoints and one
/// affinity timeout (`cipaff-3-10800`), with its plain frontend set (`cipaff_3_10800`) and the
/// dispatch rule that sends the set's frontends to it — the affinity counterpart of
/// `NftSharedChain`, so an affinity endpoint change is element deltas only.
///
/// Every affinity frontend numbers its endpoints with dense, stable POSITIONS 0..N-1
/// (`NftAffinityPositions`). Position k's endpoint of a frontend is an element of the per-path
/// map `cipaff_eps_<k>` (frontend → `address . port`); a client recently sent to position k of a
/// frontend is an element `client . frontend` of the shared dynamic set `aff_addr_<k>`
/// (`aff_np_<k>` for NodePorts), with the port's timeout. The chain's rules (kube-proxy's 2N+1):
/// for each k a recent-client rule `<client . frontend> @aff_addr_k update @aff_addr_k { … timeout T }
/// dnat to <frontend> map @cipaff_eps_k` (refreshing the timeout, as kube-proxy's `recent` does),
/// then a `numgen` cascade that records the client in position k's set and DNATs to position k.
/// A map miss (no endpoint at that position for the frontend) makes the kernel skip the rule.
public struct NftAffinityChain: Hashable, Comparable, Sendable {
    public let path: NftPath
    public let count: Int
    public let timeout: UInt32
    init(path: NftPath, count: Int, timeout: UInt32) { self.path = path; self.count = count; self.timeout = timeout }

    /// Suffix of the path name in affinity object names (`cipaff…`); no `NftPath` ends in it.
    static let marker = "aff"

    /// The chain's name (`cipaff-3-10800`).
    public var name: String { "\(path.rawValue)\(Self.marker)-\(count)-\(timeout)" }
    /// Its frontend set's name (`cipaff_3_10800`).
    public var setName: String { "\(path.rawValue)\(Self.marker)_\(count)_\(timeout)" }
    /// The dispatch chain whose rule sends this set's frontends here.
    public var dispatchChain: String { path.dispatchChain }
    /// True for NodePort paths.
    public var isNodePort: Bool { path.isNodePort }
    /// The dispatch rule (`ip daddr . meta l4proto . th dport @cipaff_3_10800 goto cipaff-3-10800`).
    public func dispatchRule(family: NftFamily) -> NftRule {
        NftRule("\(NftRules.frontendKey(path, family: family)) @\(setName) goto \(name)")
    }

    /// Parses a chain name (`cipaff-3-10800`).
    public init?(chain name: String) { guard let v = Self.parse(name, separator: "-") else { return nil }; self = v }
    /// Parses a frontend set name (`cipaff_3_10800`).
    public init?(frontendSet name: String) { guard let v = Self.parse(name, separator: "_") else { return nil }; self = v }

    private static func parse(_ name: String, separator: Character) -> NftAffinityChain? {
        let parts = name.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasSuffix(marker),
              let path = NftPath(rawValue: String(parts[0].dropLast(marker.count))),
              let n = canonical(parts[1]), n > 0, let t = canonical(parts[2]), t <= Int(UInt32.max) else { return nil }
        return NftAffinityChain(path: path, count: n, timeout: UInt32(t))
    }

    /// A decimal number without sign or leading zero (at most 10 digits).
    static func canonical(_ s: Substring) -> Int? {
        guard let first = s.utf8.first, s.utf8.count <= 10, first != UInt8(ascii: "0") || s.utf8.count == 1 else { return nil }
        var n = 0
        for d in s.utf8 {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(d - UInt8(ascii: "0"))
        }
        return n
    }

    public static func < (a: Self, b: Self) -> Bool { (a.path, a.count, a.timeout) < (b.path, b.count, b.timeout) }

    // MARK: Per-position objects

    /// The endpoint map of position `k` on `path` (`cipaff_eps_0`): frontend → `address . port`.
    static func positionMap(_ path: NftPath, _ k: Int) -> String { "\(path.rawValue)\(marker)_eps_\(k)" }

    /// Parses a position map name (`cipaff_eps_0`) into its path and position.
    public static func positionMap(parsing name: String) -> (path: NftPath, position: Int)? {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "eps", parts[0].hasSuffix(marker),
              let path = NftPath(rawValue: String(parts[0].dropLast(marker.count))), let k = canonical(parts[2]) else { return nil }
        return (path, k)
    }

    /// The shared recent-client set of position `k` (`aff_addr_0`, `aff_np_0` for NodePorts).
    static func recentSet(nodePort: Bool, _ k: Int) -> String { "\(NftNames.affinityRecentPrefix)\(nodePort ? "np" : "addr")_\(k)" }

    /// Parses a recent-client set name into its kind and position.
    public static func recentSet(parsing name: String) -> (nodePort: Bool, position: Int)? {
        guard name.hasPrefix(NftNames.affinityRecentPrefix) else { return nil }
        let parts = name.dropFirst(NftNames.affinityRecentPrefix.count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "addr" || parts[0] == "np", let k = canonical(parts[1]) else { return nil }
        return (parts[0] == "np", k)
    }

    /// Capacity of a recent-client set. All affinity frontends of a family share position k's
    /// set, so it is 16 times nft's default of 65,535 (kube-proxy's per-endpoint sets): an
    /// `update` into a full set fails and the new client would fall through without DNAT.
    static let recentSetSize: UInt32 = 1_048_576

    /// The declaration of a recent-client set: dynamic, every element with its port's timeout.
    static func recentSetDeclaration(nodePort: Bool, _ k: Int, family: NftFamily) -> NftSet {
        let a = family.addrType
        let spec = nodePort ? "type \(a) . inet_proto . inet_service" : "type \(a) . \(a) . inet_proto . inet_service"
        return NftSet(recentSet(nodePort: nodePort, k), spec: spec, flags: ["dynamic", "timeout"], size: recentSetSize)
    }

    /// The declaration of a position map. `type`, not `typeof`: nft 1.0.6 accepts new rules that
    /// use such a map after it exists (it refuses that for the `typeof … th dport` endpoint maps).
    static func positionMapDeclaration(_ path: NftPath, _ k: Int, family: NftFamily) -> NftSet {
        let a = family.addrType
        let key = path.isNodePort ? "inet_proto . inet_service" : "\(a) . inet_proto . inet_service"
        return NftSet(positionMap(path, k), spec: "type \(key) : \(a) . inet_service")
    }

    /// The frontend set's declaration.
    static func frontendSetDeclaration(_ c: NftAffinityChain, family: NftFamily) -> NftSet {
        NftSet(c.setName, spec: c.isNodePort ? "type inet_proto . inet_service" : "type \(family.addrType) . inet_proto . inet_service")
    }

    /// The chain's rules: masquerade mark (paths that mark), N recent-client rules, N picks.
    func rules(family: NftFamily, clusterMasquerade: ClusterMasquerade) -> [NftRule] {
        let fe = NftRules.frontendKey(path, family: family)
        let key = "\(family.header) saddr . \(fe)"
        let h = family.header
        var rules = NftRules.markRules(path, family: family, clusterMasquerade: clusterMasquerade)
        func tail(_ k: Int) -> String {
            let set = Self.recentSet(nodePort: isNodePort, k)
            return "update @\(set) { \(key) timeout \(timeout)s } dnat \(h) to \(fe) map @\(Self.positionMap(path, k))"
        }
        for k in 0..<count { rules.append(NftRule("\(key) @\(Self.recentSet(nodePort: isNodePort, k)) \(tail(k))")) }
        for k in 0..<count {
            let remaining = count - k
            rules.append(NftRule(remaining > 1 ? "numgen random mod \(remaining) 0 \(tail(k))" : tail(k)))
        }
        return rules
    }

    /// The sets and maps `chains` need, each once, in a stable order: recent-client sets per key
    /// kind and position maps per path, up to the largest count.
    static func declarations(_ chains: [NftAffinityChain], family: NftFamily) -> [(set: NftSet, isMap: Bool)] {
        var maxByPath: [NftPath: Int] = [:]
        var maxByKind: [Bool: Int] = [:]
        for c in chains {
            maxByPath[c.path] = max(maxByPath[c.path] ?? 0, c.count)
            maxByKind[c.isNodePort] = max(maxByKind[c.isNodePort] ?? 0, c.count)
        }
        var out: [(NftSet, Bool)] = []
        for np in [false, true] { for k in 0..<(maxByKind[np] ?? 0) { out.append((recentSetDeclaration(nodePort: np, k, family: family), false)) } }
        for p in NftPath.allCases { for k in 0..<(maxByPath[p] ?? 0) { out.append((positionMapDeclaration(p, k, family: family), true)) } }
        return out
    }
}
