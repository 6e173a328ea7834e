import RenderNftables
import SwitchyardCore

/// Encodes set/map elements of our table in the kernel's binary form, straight from their typed
/// values (no text), for the sets whose layout it knows (the renderer's global sets and maps,
/// count sets and endpoint maps). Anything else returns nil and goes through nft instead.
///
/// Concatenated keys put each component in its own 4-byte-aligned register: addresses in
/// network order (4 or 16 bytes), `inet_proto` 1 byte, `inet_service` 2 bytes big-endian, the
/// `numgen` endpoint index a 32-bit host-order integer. Map data `addr . port` likewise.
enum NftElementCodec {
    /// The key layouts the codec encodes (cases of `NftKey`; frontends with or without address).
    enum KeyShape: Equatable { case address, addressPair, frontend, nodePort, slot, nodePortSlot }
    enum Data { case none, verdict, addrPort }
    /// A set's key shape and data kind.
    struct Layout: Equatable { var key: KeyShape; var data: Data }

    /// Layout of each fixed set the fast path handles.
    static let layouts: [String: Layout] = [
        "cluster_ips": Layout(key: .address, data: .none),
        "hairpin": Layout(key: .addressPair, data: .none),
        "reject_addr": Layout(key: .frontend, data: .none),
        "drop_addr": Layout(key: .frontend, data: .none),
        "lb_fw": Layout(key: .frontend, data: .none),
        "reject_np": Layout(key: .nodePort, data: .none),
        "drop_np": Layout(key: .nodePort, data: .none),
    ]

    /// Layout of `set`: a fixed set above, an endpoint map (`cip_eps_3`), a frontend set (`cip_3`,
    /// `cipaff_3_10800`) or an affinity position map (`cipaff_eps_0`).
    static func layout(_ set: String) -> Layout? {
        if let l = layouts[set] { return l }
        if let m = NftAffinityChain.positionMap(parsing: set) { return Layout(key: m.path.isNodePort ? .nodePort : .frontend, data: .addrPort) }
        if let c = NftAffinityChain(frontendSet: set) { return Layout(key: c.isNodePort ? .nodePort : .frontend, data: .none) }
        if let c = NftSharedChain(endpointMap: set) { return Layout(key: c.isNodePort ? .nodePortSlot : .slot, data: .addrPort) }
        guard let c = NftSharedChain(frontendSet: set) else { return nil }
        return Layout(key: c.isNodePort ? .nodePort : .frontend, data: .none)
    }

    /// The encoded key of `el` in `set` of `family`, or nil when the set is unknown or the key
    /// does not have its layout (shape or address family).
    static func key(_ el: NftElement, set: String, family: NftFamily) -> [UInt8]? {
        guard let l = layout(set) else { return nil }
        return key(el.key, shape: l.key, family: family)
    }

    /// The encoded `key` when it has `shape` and addresses of `family`.
    static func key(_ key: NftKey, shape: KeyShape, family: NftFamily) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(40)
        switch (key, shape) {
        case (.address(let a), .address):
            guard put(a, family, &out) else { return nil }
        case (.addressPair(let a, let b), .addressPair):
            guard put(a, family, &out), put(b, family, &out) else { return nil }
        case (.frontend(let f), .frontend), (.frontend(let f), .nodePort):
            guard put(f, nodePort: shape == .nodePort, family, &out) else { return nil }
        case (.slot(let f, let i), .slot), (.slot(let f, let i), .nodePortSlot):
            guard put(f, nodePort: shape == .nodePortSlot, family, &out) else { return nil }
            withUnsafeBytes(of: i) { out.append(contentsOf: $0) }   // host byte order, as numgen produces it
        default:
            return nil
        }
        return out
    }

    /// The encoded data of `el`: nil when it does not fit the set; `.none` layouts give an empty value.
    static func data(_ el: NftElement, set: String, family: NftFamily) -> ElementData? {
        guard let l = layout(set) else { return nil }
        return data(el.data, kind: l.data, family: family)
    }

    /// The encoded `data` when it is of `kind`.
    static func data(_ data: NftData, kind: Data, family: NftFamily) -> ElementData? {
        switch (data, kind) {
        case (.none, .none): return ElementData.none
        case (.goto(let chain), .verdict): return .verdict(code: -4, chain: chain)   // NFT_GOTO
        case (.jump(let chain), .verdict): return .verdict(code: -3, chain: chain)   // NFT_JUMP
        case (.endpoint(let a, let port), .addrPort):
            var out: [UInt8] = []
            out.reserveCapacity(20)
            guard put(a, family, &out) else { return nil }
            out += [UInt8(port >> 8), UInt8(port & 0xff), 0, 0]
            return .value(out)
        default: return nil
        }
    }

    enum ElementData: Equatable { case none, value([UInt8]), verdict(code: Int32, chain: String) }

    /// Appends the network-order bytes of `a` when it is of `family`.
    private static func put(_ a: IPAddress, _ family: NftFamily, _ out: inout [UInt8]) -> Bool {
        guard NftFamily(a.family) == family else { return false }
        if a.family == .ipv4 {
            let v = a.v4Value
            out += [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
        } else {
            withUnsafeBytes(of: a.high.bigEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: a.low.bigEndian) { out.append(contentsOf: $0) }
        }
        return true
    }

    /// Appends `[address .] proto . port`, each in a 4-byte register; the address must be present
    /// exactly when the set is not a NodePort set.
    private static func put(_ f: NftFrontend, nodePort: Bool, _ family: NftFamily, _ out: inout [UInt8]) -> Bool {
        if let a = f.address {
            guard !nodePort, put(a, family, &out) else { return false }
        } else if !nodePort {
            return false
        }
        out += [f.proto.number, 0, 0, 0, UInt8(f.port >> 8), UInt8(f.port & 0xff), 0, 0]
        return true
    }
}

/// A full sync's element encoding without a kernel, for benchmarks: the load plan against an
/// empty kernel and the netlink messages of every element the codec encodes (what the applier's
/// `encodeSeconds` times, plus the plan).
public enum NftFullLoadEncoding {
    /// Bytes of the encoded element messages of `full` (a full render's transaction), or nil
    /// when some element has no encoding.
    public static func encodedBytes(_ full: NftTransaction) -> Int? {
        let plan = NftLoadPlan(full: full, inventory: [:]) { NftElementCodec.layout($0) != nil }
        return NftNetlink.encode(plan.loads, firstSeq: 1)?.bytes
    }
}
