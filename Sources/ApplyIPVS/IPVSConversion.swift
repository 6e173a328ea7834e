import IPVSNetlink
import RenderIPVS
import SwitchyardCore

/// Conversions between the renderer's plan types and the netlink client's kernel types (two
/// modules, same names: always qualified here).
enum IPVSConversion {
    static func kernelKey(_ k: RenderIPVS.IPVSServiceKey) -> IPVSNetlink.IPVSServiceKey {
        switch k {
        case let .inet(proto, address, port): return .address(protocol: proto, address: address, port: port)
        case let .fwmark(family, mark): return .firewallMark(mark, family: family)
        }
    }

    static func planKey(_ k: IPVSNetlink.IPVSServiceKey) -> RenderIPVS.IPVSServiceKey {
        switch k {
        case let .address(proto, address, port): return .inet(proto: proto, address: address, port: port)
        case let .firewallMark(mark, family): return .fwmark(family: family, mark: mark)
        }
    }

    static func kernelService(_ s: RenderIPVS.IPVSService) -> IPVSNetlink.IPVSService {
        IPVSNetlink.IPVSService(key: kernelKey(s.key), scheduler: s.scheduler,
                                flags: IPVSNetlink.IPVSServiceFlags(rawValue: s.flags.rawValue & ~RenderIPVS.IPVSServiceFlags.hashed.rawValue),
                                timeout: s.timeout, netmaskPrefixLength: s.netmaskPrefix)
    }

    static func kernelDestination(_ d: RenderIPVS.IPVSDestination) -> IPVSNetlink.IPVSDestination {
        let method: IPVSForwardingMethod
        switch d.forwarding {
        case .masquerade: method = .masquerade
        case .tunnel: method = .tunnel
        case .direct: method = .directRoute
        }
        return IPVSNetlink.IPVSDestination(address: d.address, port: d.port, forwardingMethod: method,
                                           weight: Int32(clamping: d.weight))
    }

    static func kernelDestination(_ d: IPVSDestinationKey) -> IPVSNetlink.IPVSDestination {
        IPVSNetlink.IPVSDestination(address: d.address, port: d.port)
    }

    static func destinationKey(_ d: IPVSNetlink.IPVSDestination) -> IPVSDestinationKey {
        IPVSDestinationKey(address: d.address, port: d.port)
    }
}

extension IPVSConversion {
    /// The kernel spec of a role's set. Hash sets start with a table sized for their members (a
    /// power of two ≥ the count, at least ipset's default 1024), so filling them does not rehash.
    static func spec(_ role: IPVSSetRole, _ family: IPFamily, members: Int) -> IPSetSpec {
        var hashSize: UInt32 = 1024
        while Int(hashSize) < members && hashSize < 1 << 20 { hashSize <<= 1 }
        return IPSetSpec(name: role.name(family), typeName: role.type.rawValue, family: family, hashSize: hashSize,
                         maxElements: UInt32(IPVSIPSet.maxElements), portRange: role.type == .bitmapPort ? 0...65535 : nil)
    }

    /// A member in the form the kernel lists it (`hash:ip,port,net` always with its prefix length).
    static func element(_ m: IPSetMember) -> IPSetElement {
        switch m {
        case .ip(let a): return IPSetElement(ip: a)
        case .port(let p): return IPSetElement(port: p)
        case let .ipPort(a, pr, p): return IPSetElement(ip: a, port: p, proto: pr.number)
        case let .ipPortIP(a, pr, p, b): return IPSetElement(ip: a, port: p, proto: pr.number, ip2: b)
        case let .ipPortNet(a, pr, p, n): return IPSetElement(ip: a, port: p, proto: pr.number, ip2: n.address, cidr2: UInt8(n.prefixLength))
        }
    }

    /// A stable order for commands (deterministic batches and tests).
    static func elementOrder(_ a: IPSetElement, _ b: IPSetElement) -> Bool {
        let zero = IPAddress(v4: 0)
        if a.ip != b.ip { return (a.ip ?? zero) < (b.ip ?? zero) }
        if a.port != b.port { return (a.port ?? 0) < (b.port ?? 0) }
        if a.proto != b.proto { return (a.proto ?? 0) < (b.proto ?? 0) }
        if a.ip2 != b.ip2 { return (a.ip2 ?? zero) < (b.ip2 ?? zero) }
        return (a.cidr2 ?? 0) < (b.cidr2 ?? 0)
    }
}
