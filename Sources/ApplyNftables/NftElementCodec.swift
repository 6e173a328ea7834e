import RenderNftables
import SwitchyardCore

/// Encodes set/map elements of our table in the kernel's binary form, for the sets whose
/// layout it knows (the renderer's global sets and maps). Anything else returns nil and goes
/// through nft instead.
///
/// Concatenated keys put each component in its own 4-byte-aligned register: addresses in
/// network order (4 or 16 bytes), `inet_proto` 1 byte, `inet_service` 2 bytes big-endian, the
/// `numgen` endpoint index a 32-bit host-order integer. Map data `addr . port` likewise.
enum NftElementCodec {
    enum Component { case addr, proto, port, index }
    enum Data { case none, verdict, addrPort }

    /// Key layout and data kind of each fixed set the fast path handles.
    static let layouts: [String: ([Component], Data)] = [
        "cluster_ips": ([.addr], .none),
        "hairpin": ([.addr, .addr], .none),
        "reject_addr": ([.addr, .proto, .port], .none),
        "drop_addr": ([.addr, .proto, .port], .none),
        "lb_fw": ([.addr, .proto, .port], .none),
        "reject_np": ([.proto, .port], .none),
        "drop_np": ([.proto, .port], .none),
        "addr_dispatch": ([.addr, .proto, .port], .verdict),
        "addr_sc_pod": ([.addr, .proto, .port], .verdict),
        "addr_sc_node": ([.addr, .proto, .port], .verdict),
        "np_dispatch": ([.proto, .port], .verdict),
        "np_sc_pod": ([.proto, .port], .verdict),
        "np_sc_node": ([.proto, .port], .verdict),
    ]

    /// Key layout and data kind of `set`: a fixed set above, or a frontend set (`cip_3`).
    static func layout(_ set: String) -> ([Component], Data)? {
        if let l = layouts[set] { return l }
        if let c = NftSharedChain(endpointMap: set) {
            return (c.isNodePort ? [.proto, .port, .index] : [.addr, .proto, .port, .index], .addrPort)
        }
        guard let c = NftSharedChain(frontendSet: set) else { return nil }
        return (c.isNodePort ? [.proto, .port] : [.addr, .proto, .port], .none)
    }

    /// The encoded key of `el` in `set` of `family`, or nil when the set or a value is unknown.
    static func key(_ el: NftElement, set: String, family: NftFamily) -> [UInt8]? {
        guard let (comps, _) = layout(set), comps.count == el.key.count else { return nil }
        var out: [UInt8] = []
        let concat = comps.count > 1
        for (c, text) in zip(comps, el.key) {
            guard let bytes = component(c, text, family: family) else { return nil }
            out += bytes
            if concat { while out.count % 4 != 0 { out.append(0) } }
        }
        return out
    }

    /// The encoded data of `el`: nil when malformed; `.none` layouts give an empty value.
    static func data(_ el: NftElement, set: String, family: NftFamily) -> ElementData? {
        guard let (_, kind) = layout(set) else { return nil }
        switch kind {
        case .none: return el.value == nil ? ElementData.none : nil
        case .verdict:
            guard let v = el.value else { return nil }
            let parts = v.split(separator: " ")
            guard parts.count == 2, parts[0] == "goto" || parts[0] == "jump" else { return nil }
            return .verdict(code: parts[0] == "goto" ? -4 : -3, chain: String(parts[1]))
        case .addrPort:
            guard let v = el.value else { return nil }
            let parts = v.components(separatedBy: " . ")
            guard parts.count == 2, let a = component(.addr, parts[0], family: family),
                  let p = component(.port, parts[1], family: family) else { return nil }
            return .value(a + p + [0, 0])
        }
    }

    enum ElementData: Equatable { case none, value([UInt8]), verdict(code: Int32, chain: String) }

    private static func component(_ c: Component, _ text: String, family: NftFamily) -> [UInt8]? {
        switch c {
        case .addr:
            guard let ip = IPAddress(text), NftFamily(ip.family) == family else { return nil }
            return ip.bytes
        case .proto:
            switch text {
            case "tcp": return [6]
            case "udp": return [17]
            case "sctp": return [132]
            default: return nil
            }
        case .port:
            guard let p = UInt16(text) else { return nil }
            return [UInt8(p >> 8), UInt8(p & 0xff)]
        case .index:
            guard let i = UInt32(text) else { return nil }
            return withUnsafeBytes(of: i) { Array($0) }   // host byte order, as numgen produces it
        }
    }
}

extension String {
    /// Splits on a multi-character separator (no Foundation).
    func components(separatedBy sep: String) -> [String] {
        var out: [String] = [], rest = Substring(self)
        while let r = rest.range(of: sep) { out.append(String(rest[..<r.lowerBound])); rest = rest[r.upperBound...] }
        out.append(String(rest))
        return out
    }
}
