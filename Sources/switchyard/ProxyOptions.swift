import ArgumentParser
import Foundation
import Model
import ProxyConfig
import SwitchyardCore

/// The flags every subcommand that builds proxy state shares, with kube-proxy's spellings as aliases.
struct ProxyOptions: ParsableArguments {
    @Option(name: [.customLong("node"), .customLong("hostname-override")],
            help: "This node's name (default: $NODE_NAME, else the host name).")
    var node: String?

    @Option(name: .customLong("manifests"), parsing: .upToNextOption,
            help: "Manifest files or directories (YAML or JSON). Default: the embedded example cluster.")
    var manifests: [String] = []

    @Option(name: .customLong("cluster-cidr"),
            help: "Pod CIDR(s), comma-separated or repeated; ClusterIP traffic from outside them is masqueraded.")
    var clusterCIDR: [String] = []

    @Flag(name: .customLong("masquerade-all"), help: "Masquerade every packet to a service.")
    var masqueradeAll = false

    @Option(name: .customLong("nodeport-addresses"),
            help: "CIDR(s) selecting the node addresses that serve NodePorts (default: the Node's InternalIP/ExternalIP).")
    var nodePortAddresses: [String] = []

    @Option(name: .customLong("service-proxy-name"),
            help: "Handle services labelled service.kubernetes.io/service-proxy-name=NAME (default: only unlabelled ones).")
    var serviceProxyName: String?

    @Option(name: .customLong("ipvs-scheduler"), help: "Default IPVS scheduler (rr, wrr, lc, sh, mh, …; default rr).")
    var ipvsScheduler: String?

    @Option(name: .customLong("ip-families"), help: "Families to proxy: ipv4, ipv6 or both (default both).")
    var ipFamilies: String = "both"

    /// The node name after defaults.
    var nodeName: String { nodeName(file: nil) }

    /// The node name: the flag, else the config file's `hostnameOverride`, else $NODE_NAME, else the host name.
    func nodeName(file: ProxyConfigFile?) -> String {
        if let node, !node.isEmpty { return node }
        if let name = file?.hostnameOverride { return name }
        if let env = ProcessInfo.processInfo.environment["NODE_NAME"], !env.isEmpty { return env }
        return ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
    }

    /// Parses the flags into a `NodeConfig`, or throws a validation error naming the bad flag.
    /// Values from a KubeProxyConfiguration `file` fill in what the flags leave unset (flags win);
    /// `mode` selects the file's `iptables`/`ipvs`/`nftables` section for `masqueradeAll`.
    func nodeConfig(file: ProxyConfigFile? = nil, mode: ProxyMode = .nftables) throws -> NodeConfig {
        var cidrs = try Self.parseCIDRs(clusterCIDR, flag: "--cluster-cidr")
        if clusterCIDR.isEmpty, let fromFile = file?.clusterCIDRs { cidrs = fromFile }
        var npa = try Self.parseCIDRs(nodePortAddresses, flag: "--nodeport-addresses")
        if nodePortAddresses.isEmpty, let fromFile = file?.nodePortAddresses { npa = fromFile }
        let masqueradeAll = self.masqueradeAll || (file?.settings(for: mode).masqueradeAll ?? false)
        let ipvsScheduler = self.ipvsScheduler ?? file?.ipvsScheduler ?? "rr"
        let families: Set<IPFamily>
        switch ipFamilies.lowercased() {
        case "both", "dual", "ipv4,ipv6", "ipv6,ipv4": families = [.ipv4, .ipv6]
        case "ipv4", "v4": families = [.ipv4]
        case "ipv6", "v6": families = [.ipv6]
        default: throw ValidationError("--ip-families must be ipv4, ipv6 or both, not '\(Diagnostic.printable(ipFamilies))'")
        }
        let known = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos"]
        guard known.contains(ipvsScheduler) else {
            throw ValidationError("--ipvs-scheduler must be one of \(known.joined(separator: ", "))")
        }
        return NodeConfig(nodeName: nodeName(file: file), serviceProxyName: serviceProxyName, clusterCIDRs: cidrs,
                          masqueradeAll: masqueradeAll, nodePortAddresses: npa.isEmpty ? nil : npa,
                          families: families, ipvsScheduler: ipvsScheduler)
    }

    static func parseCIDRs(_ values: [String], flag: String) throws -> [CIDR] {
        var out: [CIDR] = []
        for value in values {
            for part in value.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
                let text = part.trimmingCharacters(in: .whitespaces)
                guard text.contains("/"), let cidr = CIDR(text) else {
                    throw ValidationError("\(flag): '\(Diagnostic.printable(text))' is not a CIDR (like 10.244.0.0/16)")
                }
                out.append(cidr)
            }
        }
        return out
    }
}

/// The backends Switchyard can program.
enum BackendName: String, ExpressibleByArgument, CaseIterable, Sendable {
    case nftables
    case iptables
    case ipvs
}
