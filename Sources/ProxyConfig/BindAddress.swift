import SwitchyardCore

/// An `IP:port` listen address (`0.0.0.0:10256`, `[::]:10256`, `127.0.0.1:10249`), as kube-proxy's
/// `--healthz-bind-address` and `--metrics-bind-address` take it. A bare IP gets the default port.
public struct BindAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// Parses `IP:port`, `[IPv6]:port` or a bare IP (port `defaultPort`); nil when invalid.
    /// Port 0 asks the kernel for a free port.
    public static func parse(_ text: String, defaultPort: Int) -> BindAddress? {
        if let ip = IPAddress(text) { return BindAddress(host: ip.description, port: defaultPort) }
        let hostPart: Substring, portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portPart = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { return nil }   // IPv6 needs brackets
        }
        guard let ip = IPAddress(String(hostPart)), !portPart.isEmpty, portPart.allSatisfy(\.isNumber),
              let port = Int(portPart), (0...65535).contains(port) else { return nil }
        return BindAddress(host: ip.description, port: port)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
