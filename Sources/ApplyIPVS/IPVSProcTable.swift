import Glibc
import IPVSNetlink
import SwitchyardCore

/// Reads every real server of every virtual service in one go from `/proc/net/ip_vs` (the text
/// `ipvsadm -Ln` reads), instead of one netlink dump per service: a full sync at 10,000 services
/// would otherwise make 10,000 round trips. Gives address, port, forwarding, weight and connection
/// counts (thresholds and counters are not in the table and read as 0).
///
/// The table is a seq_file over the kernel's global service hash: a service added or deleted
/// anywhere (another namespace) while it is read can make one whole record (a service with all its
/// real servers) go missing or appear twice. Duplicates replace themselves here; the caller dumps
/// over netlink every service that its service dump has and the table lacks.
enum IPVSProcTable {
    /// Parses the table; nil when a line does not parse (the caller then dumps per service).
    static func parse(_ text: String) -> [IPVSNetlink.IPVSServiceKey: [IPVSDestinationEntry]]? {
        var out: [IPVSNetlink.IPVSServiceKey: [IPVSDestinationEntry]] = [:]
        var current: IPVSNetlink.IPVSServiceKey?
        var lineNumber = 0
        for line in text.split(separator: "\n") {
            lineNumber += 1
            if lineNumber <= 3 { continue } // version, two header lines
            let words = line.split(separator: " ")
            guard let first = words.first else { continue }
            if first == "->" {
                guard let key = current, words.count >= 6, let (address, port) = endpoint(words[1]),
                      let weight = Int32(words[3]), let active = UInt32(words[4]), let inactive = UInt32(words[5]) else { return nil }
                let method: IPVSForwardingMethod
                switch words[2] {
                case "Masq": method = .masquerade
                case "Local": method = .localNode
                case "Tunnel": method = .tunnel
                case "Route": method = .directRoute
                default: return nil
                }
                out[key, default: []].append(IPVSDestinationEntry(
                    destination: IPVSNetlink.IPVSDestination(address: address, port: port, forwardingMethod: method, weight: weight),
                    activeConnections: active, inactiveConnections: inactive))
            } else if first == "FWM" {
                guard words.count >= 2, let mark = UInt32(words[1], radix: 16) else { return nil }
                // The family of a fwmark service is not in the table: the caller's dump names it.
                current = .firewallMark(mark, family: .ipv4)
                out[current!] = []
            } else {
                guard words.count >= 2, let proto = L4Protocol.allCases.first(where: { $0.rawValue == first }),
                      let (address, port) = endpoint(words[1]) else { return nil }
                current = .address(protocol: proto, address: address, port: port)
                out[current!] = [] // a record shown twice (see below) replaces itself
            }
        }
        return out
    }

    /// `0A600001:0050` or `[fd00:0010:…]:0050`.
    static func endpoint(_ s: Substring) -> (IPAddress, UInt16)? {
        guard let colon = s.lastIndex(of: ":"), let port = UInt16(s[s.index(after: colon)...], radix: 16) else { return nil }
        let host = s[..<colon]
        if host.first == "[" {
            guard host.last == "]", let a = IPAddress(String(host.dropFirst().dropLast())) else { return nil }
            return (a, port)
        }
        guard let v = UInt32(host, radix: 16) else { return nil }
        return (IPAddress(v4: v), port)
    }

    /// The table of the calling thread's network namespace.
    static func read() -> String? {
        guard let f = fopen("/proc/thread-self/net/ip_vs", "r") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
