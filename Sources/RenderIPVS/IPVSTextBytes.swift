import SwitchyardCore

/// The IPVS plan's line formats, written as bytes (`ASCIIBuffer`): a full plan at 10k services has
/// ~150,000 real-server lines, and building each from `String` pieces was most of its text. Every
/// format is defined here once; the `String` forms (`IPSetMember.description`,
/// `IPVSPlan.holdCommand`, the tool text) are made from these.
extension ASCIIBuffer {
    /// `VERB SELECTOR -r HOST:PORT FWD -w WEIGHT\n` after `prefix` (`-a -t 10.96.0.1:80 -r `, see
    /// `destinationPrefix`): forwarding and weight always given, since `ipvsadm -e` without `-m`
    /// would switch the real server to direct routing.
    mutating func write(destination d: IPVSDestination, after prefix: ASCIIBuffer) {
        write(prefix)
        write(bracketed: d.address, port: d.port)
        write(byte: UInt8(ascii: " "))
        write(d.forwarding.ipvsadmFlag)
        write(" -w ")
        write(number: d.weight)
        write(byte: UInt8(ascii: "\n"))
    }

    /// ipvsadm's service selector: `-t 10.96.0.10:53`, `-u [fd00::1]:53`, `--sctp-service …`, `-f 5`.
    mutating func write(selector key: IPVSServiceKey) {
        switch key {
        case .inet(let proto, let address, let port):
            switch proto {
            case .tcp: write("-t ")
            case .udp: write("-u ")
            case .sctp: write("--sctp-service ")
            }
            write(bracketed: address, port: port)
        case .fwmark(let family, let mark):
            write("-f "); write(number: mark)
            if family == .ipv6 { write(" -6") }
        }
    }

    /// `-A -t 10.96.0.10:53 -s rr [-p 10800] [-b mh-port]` (ipvsadm-save style).
    mutating func write(serviceLine s: IPVSService) {
        write("-A "); write(selector: s.key); write(" -s "); write(s.scheduler)
        if s.flags.contains(.persistent) { write(" -p "); write(number: s.timeout) }
        let prefix = s.scheduler == "sh" ? "sh" : "mh"
        let fallback = s.flags.contains(.sched1), port = s.flags.contains(.sched2)
        if fallback || port { write(" -b ") }
        if fallback { write(prefix); write("-fallback") }
        if fallback && port { write(byte: UInt8(ascii: ",")) }
        if port { write(prefix); write("-port") }
    }

    /// `VERB SELECTOR -r ` (`-a -t 10.96.0.1:80 -r `): the part of a real-server line shared by
    /// every real server of one virtual server.
    static func destinationPrefix(_ verb: String, _ key: IPVSServiceKey) -> ASCIIBuffer {
        var p = ASCIIBuffer(capacity: 48)
        p.write(verb); p.write(byte: UInt8(ascii: " ")); p.write(selector: key); p.write(" -r ")
        return p
    }

    /// One virtual server of the readable plan: its service port as a comment, its `-A` line and
    /// its `-a` lines.
    mutating func write(virtualServer vs: IPVSVirtualServer) {
        if let o = vs.origin {
            write("# "); write(o.description); write(byte: UInt8(ascii: " ")); write(o.proto.rawValue)
            write(byte: UInt8(ascii: "\n"))
        }
        write(serviceLine: vs.service); write(byte: UInt8(ascii: "\n"))
        guard !vs.destinations.isEmpty else { return }
        let prefix = Self.destinationPrefix("-a", vs.key)
        for d in vs.destinations { write(destination: d, after: prefix) }
    }

    /// An ipset member in `ipset` syntax (`10.96.0.1,tcp:80`, `10.244.1.5,tcp:8080,10.244.1.5`).
    mutating func write(member m: IPSetMember) {
        switch m {
        case .ip(let a): write(a)
        case .port(let p): write(number: UInt32(p))
        case let .ipPort(a, pr, p): write(a, pr, p)
        case let .ipPortIP(a, pr, p, b): write(a, pr, p); write(byte: UInt8(ascii: ",")); write(b)
        case let .ipPortNet(a, pr, p, n): write(a, pr, p); write(byte: UInt8(ascii: ",")); write(n.description)
        }
    }

    /// `ADDRESS,proto:PORT`.
    private mutating func write(_ a: IPAddress, _ proto: L4Protocol, _ port: UInt16) {
        write(a); write(byte: UInt8(ascii: ",")); write(proto.lowercased); write(byte: UInt8(ascii: ":"))
        write(number: UInt32(port))
    }

    /// `IPVSPlan.holdCommand(verb, a)`: how a service address is held, as an `ip -batch` line
    /// without its newline (`route add local 10.96.0.1/32 dev switchyard-ipvs table local proto
    /// 83`, `address add fd00::1/128 dev switchyard-ipvs`).
    mutating func write(hold verb: String, _ a: IPAddress) {
        if a.family == .ipv4 {
            write("route "); write(verb); write(" local "); write(a); write("/32 dev ")
            write(IPVSPlan.dummyInterface); write(" table local proto "); write(number: UInt32(IPVSPlan.routeProtocol))
        } else {
            write("address "); write(verb); write(byte: UInt8(ascii: " ")); write(a); write("/128 dev ")
            write(IPVSPlan.dummyInterface)
        }
    }
}
