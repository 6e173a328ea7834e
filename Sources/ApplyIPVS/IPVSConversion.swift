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
