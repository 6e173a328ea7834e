import SwitchyardCore

/// The frontend part of an element key: `address . protocol . port`, or `protocol . port` for
/// NodePort sets (no address).
public struct NftFrontend: Hashable, Sendable {
    /// The service address; nil for a NodePort frontend.
    public var address: IPAddress?
    public var proto: L4Protocol
    public var port: UInt16

    public init(address: IPAddress?, proto: L4Protocol, port: UInt16) {
        self.address = address; self.proto = proto; self.port = port
    }
}

/// A set or map element's key, typed: the values the kernel stores, never text. Each case is
/// one key layout of our sets (see `NftLayout`).
public enum NftKey: Hashable, Sendable {
    /// One address (`cluster_ips`, `nodeport_ips`).
    case address(IPAddress)
    /// A prefix of an interval set (`pod_cidrs`).
    case prefix(CIDR)
    /// `address . address` (`hairpin`).
    case addressPair(IPAddress, IPAddress)
    /// A frontend (`reject_addr`, `lb_fw`, the count sets `cip_3`, the verdict maps).
    case frontend(NftFrontend)
    /// `frontend . index`: an endpoint map's slot (`numgen random mod N` picks the index).
    case slot(NftFrontend, UInt32)
    /// `frontend . source` (`lb_allowed`): a source address (full-length prefix) or range.
    case source(NftFrontend, CIDR)
}

/// A map element's data.
public enum NftData: Hashable, Sendable {
    /// A set element (no data).
    case none
    /// `address . port` (endpoint maps: the DNAT target).
    case endpoint(IPAddress, UInt16)
    /// `goto chain` (verdict maps).
    case goto(String)
    /// `jump chain` (verdict maps).
    case jump(String)
}

/// A set or map element: typed key, data and optional comment. Text exists only when a script
/// or JSON is asked for (`NftTransaction.text`, `json`); the netlink path encodes the values.
public struct NftElement: Hashable, Sendable, Comparable {
    public var key: NftKey
    public var data: NftData
    public var comment: String?

    public init(_ key: NftKey, data: NftData = .none, comment: String? = nil) {
        self.key = key; self.data = data; self.comment = comment
    }

    /// `k1 . k2 [comment "c"] [: v]` as nft accepts it.
    public var text: String {
        var w = ASCIIBuffer()
        write(into: &w)
        return w.string
    }

    /// The key's components as nft prints them (`["10.96.0.10", "tcp", "80"]`).
    public var keyComponents: [String] {
        func fe(_ f: NftFrontend) -> [String] {
            (f.address.map { [NftText.address($0)] } ?? []) + [f.proto.lowercased, NftText.number(Int(f.port))]
        }
        switch key {
        case .address(let a): return [NftText.address(a)]
        case .prefix(let c): return [c.description]
        case .addressPair(let a, let b): return [NftText.address(a), NftText.address(b)]
        case .frontend(let f): return fe(f)
        case .slot(let f, let i): return fe(f) + [NftText.number(Int(i))]
        case .source(let f, let c): return fe(f) + [Self.sourceText(c)]
        }
    }

    /// The data as nft prints it (`10.244.1.5 . 8080`, `goto aff-…`), nil for a set element.
    public var dataText: String? {
        guard data != .none else { return nil }
        var w = ASCIIBuffer()
        writeData(into: &w)
        return w.string
    }

    /// Appends `text`.
    func write(into w: inout ASCIIBuffer) {
        writeKey(into: &w)
        if let comment { w.write(" comment \""); w.write(comment); w.write("\"") }
        if data != .none { w.write(" : "); writeData(into: &w) }
    }

    /// Appends the key components joined by ` . `.
    func writeKey(into w: inout ASCIIBuffer) {
        switch key {
        case .address(let a): w.write(a)
        case .prefix(let c): w.write(c.description)
        case .addressPair(let a, let b): w.write(a); w.write(" . "); w.write(b)
        case .frontend(let f): Self.write(f, into: &w)
        case .slot(let f, let i): Self.write(f, into: &w); w.write(" . "); w.write(number: i)
        case .source(let f, let c): Self.write(f, into: &w); w.write(" . "); w.write(Self.sourceText(c))
        }
    }

    private func writeData(into w: inout ASCIIBuffer) {
        switch data {
        case .none: break
        case .endpoint(let a, let p): w.write(a); w.write(" . "); w.write(number: UInt32(p))
        case .goto(let chain): w.write("goto "); w.write(chain)
        case .jump(let chain): w.write("jump "); w.write(chain)
        }
    }

    private static func write(_ f: NftFrontend, into w: inout ASCIIBuffer) {
        if let a = f.address { w.write(a); w.write(" . ") }
        w.write(f.proto.lowercased); w.write(" . "); w.write(number: UInt32(f.port))
    }

    /// A source range as `lb_allowed` holds it: a bare address for a full-length prefix.
    private static func sourceText(_ c: CIDR) -> String {
        c.prefixLength == (c.family == .ipv4 ? 32 : 128) ? c.address.description : c.description
    }

    public static func < (a: NftElement, b: NftElement) -> Bool { a.text < b.text }
}
