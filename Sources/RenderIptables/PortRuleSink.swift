import Model
import SwitchyardCore

/// The chain a rule of one service port goes to: one of the port's own nat chains (the one
/// begun last), or one of the shared chains every port adds rules to.
enum PortRuleSection: Int, Sendable, CaseIterable {
    /// The port's own nat chain begun last (`PortRuleSink.beginChain`).
    case chain
    /// nat `SWITCHYARD-DISPATCH`.
    case dispatch
    /// nat `SWITCHYARD-NODEPORTS`.
    case nodePorts
    /// filter `SWITCHYARD-SERVICES`.
    case filter
    /// filter `SWITCHYARD-CLUSTER-IPS`.
    case clusterIPs

    /// The shared chain's name (nil for `.chain`).
    var sharedChain: String? {
        switch self {
        case .chain: return nil
        case .dispatch: return IptablesNames.natDispatch
        case .nodePorts: return IptablesNames.natNodePorts
        case .filter: return IptablesNames.filterServices
        case .clusterIPs: return IptablesNames.filterClusterIPs
        }
    }
}

/// Where `PortRuleWriter` puts one port's rules, piece by piece: the rule content is defined
/// once (`PortRuleWriter`) and written either as a list of rule specs per chain (`PortRules`,
/// which incremental renders compare and delete by exact spec) or straight into restore lines
/// (`PortTextChunk`, the full render). A rule is `beginRule`, its text in `write` calls, then
/// `endRule`; a rule's text is everything after `-A CHAIN `.
protocol PortRuleSink {
    /// Starts one of the port's own nat chains: `.chain` rules from now on belong to it. A
    /// chain is begun once per port, even when it gets no rules.
    mutating func beginChain(_ name: String)
    /// Starts a rule in `section`.
    mutating func beginRule(_ section: PortRuleSection)
    /// Appends text to the current rule.
    mutating func write(_ s: String)
    /// Appends `ip.description`.
    mutating func write(_ ip: IPAddress)
    /// Appends the decimal digits of `v`.
    mutating func write(number v: UInt32)
    /// Appends `ip:port`, the address bracketed when IPv6 (`10.0.0.1:80`, `[fd00::1]:80`).
    mutating func write(bracketed ip: IPAddress, port: UInt16)
    /// Ends the current rule.
    mutating func endRule()
}

extension PortRuleSink {
    /// `ADDR/32` or `ADDR/128` (`IptablesFormat.host`).
    mutating func write(host ip: IPAddress) {
        write(ip)
        write(ip.family == .ipv4 ? "/32" : "/128")
    }

    /// The DNAT target address: `10.0.0.1:80` or `[fd00::1]:80`.
    mutating func write(target ep: Endpoint) { write(bracketed: ep.ip, port: ep.port) }

    /// `-p P -m P --dport N`.
    mutating func write(dport proto: L4Protocol, _ port: UInt16) {
        switch proto {
        case .tcp: write("-p tcp -m tcp --dport ")
        case .udp: write("-p udp -m udp --dport ")
        case .sctp: write("-p sctp -m sctp --dport ")
        }
        write(number: UInt32(port))
    }

    /// One whole rule of `section` from a single text.
    mutating func rule(_ section: PortRuleSection, _ text: String) {
        beginRule(section); write(text); endRule()
    }
}
