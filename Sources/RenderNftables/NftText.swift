import Model
import SwitchyardCore

/// Fast text of the typed values elements are made of; the same bytes as their `description`.
enum NftText {
    /// `address.description`, IPv4 formatted without string interpolation.
    static func address(_ a: IPAddress) -> String {
        var w = ASCIIBuffer()
        w.write(a)
        return w.string
    }

    /// `String(n)` for a port or index.
    static func number(_ v: Int) -> String {
        guard v >= 0, v <= Int(UInt32.max) else { return String(v) }
        var w = ASCIIBuffer()
        w.write(number: UInt32(v))
        return w.string
    }

    /// `ip . port` (an endpoint map value).
    static func endpoint(_ ep: Endpoint) -> String { address(ep.ip) + " . " + number(Int(ep.port)) }
}
