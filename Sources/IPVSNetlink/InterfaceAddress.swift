import SwitchyardCore

/// An address on an interface, as rtnetlink reports it.
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int
    public var interfaceIndex: Int32

    public init(address: IPAddress, prefixLength: Int, interfaceIndex: Int32) {
        self.address = address; self.prefixLength = prefixLength; self.interfaceIndex = interfaceIndex
    }

    public var description: String { "\(address)/\(prefixLength) on if\(interfaceIndex)" }

    /// `struct ifaddrmsg` + IFA_LOCAL + IFA_ADDRESS. IPv6 addresses get IFA_F_NODAD so they are usable at once.
    static func requestPayload(_ address: IPAddress, prefixLength: Int, interfaceIndex: Int32) -> [UInt8] {
        let family = address.family == .ipv4 ? AddressFamilyNumber.inet : AddressFamilyNumber.inet6
        let flags = address.family == .ipv6 ? RouteNetlink.addressFlagNoDAD : 0
        var header: [UInt8] = [UInt8(family), UInt8(prefixLength), flags, RouteNetlink.scopeUniverse]
        NetlinkBytes.append(UInt32(bitPattern: interfaceIndex), to: &header)
        var w = NetlinkAttributeWriter(prefix: header)
        w.append(RouteNetlink.addressAttributeLocal, bytes: address.bytes)
        w.append(RouteNetlink.addressAttributeAddress, bytes: address.bytes)
        return w.bytes
    }

    /// Decodes an RTM_NEWADDR message body; nil for families other than IPv4/IPv6.
    static func decode(_ payload: ArraySlice<UInt8>) throws -> InterfaceAddress? {
        guard payload.count >= RouteNetlink.ifaddrmsgLength else { throw NetlinkError.malformed("short ifaddrmsg") }
        let s = payload.startIndex
        let family = UInt16(payload[s])
        guard family == AddressFamilyNumber.inet || family == AddressFamilyNumber.inet6 else { return nil }
        let index = Int32(bitPattern: NetlinkBytes.u32(payload, at: s + 4))
        let attributes = try NetlinkAttributes(payload[(s + RouteNetlink.ifaddrmsgLength)...])
        guard let raw = attributes[RouteNetlink.addressAttributeLocal] ?? attributes[RouteNetlink.addressAttributeAddress],
              let address = IPAddress(bytes: Array(raw)) else { return nil }
        return InterfaceAddress(address: address, prefixLength: Int(payload[s + 1]), interfaceIndex: index)
    }
}
