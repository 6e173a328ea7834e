import Foundation
import SwitchyardCore

/// The proxy backend a configuration asks for (`mode`).
public enum ProxyMode: String, Hashable, Sendable, CaseIterable {
    case iptables, ipvs, nftables
}

/// A kube-proxy configuration file (`kind: KubeProxyConfiguration`, `kubeproxy.config.k8s.io/v1alpha1`,
/// YAML or JSON), reduced to the fields Switchyard applies. Parsing is pure: `parse(_:)` reads text and
/// either returns the values (plus `warnings` for unknown fields and `notes` for accepted fields that
/// Switchyard does not apply) or throws a `ProxyConfigError` naming the first invalid field.
///
/// Every field is optional; nil means "not set in the file" so command-line flags and defaults apply.
public struct ProxyConfigFile: Hashable, Sendable {
    /// `iptables`/`ipvs`/`nftables` section: the per-backend sync timing and masquerading.
    public struct ModeSettings: Hashable, Sendable {
        public var syncPeriod: TimeInterval?
        public var minSyncPeriod: TimeInterval?
        public var masqueradeAll: Bool?
        public init(syncPeriod: TimeInterval? = nil, minSyncPeriod: TimeInterval? = nil, masqueradeAll: Bool? = nil) {
            self.syncPeriod = syncPeriod; self.minSyncPeriod = minSyncPeriod; self.masqueradeAll = masqueradeAll
        }
    }

    /// The `conntrack` section: validated and kept, but Switchyard does not write conntrack sysctls.
    public struct Conntrack: Hashable, Sendable {
        public var maxPerCore: Int?
        public var min: Int?
        public var tcpEstablishedTimeout: TimeInterval?
        public var tcpCloseWaitTimeout: TimeInterval?
        public var tcpBeLiberal: Bool?
        public var udpTimeout: TimeInterval?
        public var udpStreamTimeout: TimeInterval?
        public init() {}
    }

    /// `mode` (empty means the default backend).
    public var mode: ProxyMode?
    /// `clusterCIDR` (comma-separated in the file).
    public var clusterCIDRs: [CIDR]?
    public var hostnameOverride: String?
    /// `bindAddress`: accepted (it only selects the primary family in kube-proxy); not applied.
    public var bindAddress: IPAddress?
    public var healthzBindAddress: BindAddress?
    public var metricsBindAddress: BindAddress?
    /// `nodePortAddresses` CIDRs; `["primary"]` is kept as an empty array (the Node's own addresses).
    public var nodePortAddresses: [CIDR]?
    public var iptables = ModeSettings()
    public var ipvs = ModeSettings()
    public var nftables = ModeSettings()
    /// `ipvs.scheduler` (empty means the default).
    public var ipvsScheduler: String?
    /// `detectLocalMode`: only `ClusterCIDR` is supported (anything else is an error).
    public var detectLocalMode: String?
    public var conntrack = Conntrack()
    /// `clientConnection.kubeconfig`.
    public var kubeconfig: String?
    /// One line per unknown field (`unknown field "iptables.foo"`).
    public var warnings: [String] = []
    /// One line per accepted field that Switchyard does not apply.
    public var notes: [String] = []

    public init() {}

    /// The `iptables`, `ipvs` or `nftables` section, whichever `mode` uses.
    public func settings(for mode: ProxyMode) -> ModeSettings {
        switch mode {
        case .iptables: return iptables
        case .ipvs: return ipvs
        case .nftables: return nftables
        }
    }

    /// The API version and kind this parser understands.
    public static let apiVersion = "kubeproxy.config.k8s.io/v1alpha1"
    public static let kind = "KubeProxyConfiguration"

    /// IPVS schedulers accepted by `ipvs.scheduler`.
    public static let ipvsSchedulers = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos"]

    /// Parses the file's text (YAML or JSON).
    public static func parse(_ text: String) throws(ProxyConfigError) -> ProxyConfigFile {
        try ProxyConfigReader.read(text)
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(ProxyConfigError) -> ProxyConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProxyConfigError(field: nil, message: "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProxyConfigError(field: nil, message: "\(path) is not UTF-8 text")
        }
        return try parse(text)
    }
}

/// A configuration file that cannot be used, naming the field (dotted path) when there is one.
public struct ProxyConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String?
    public var message: String

    public init(field: String?, message: String) { self.field = field; self.message = message }

    public var description: String {
        if let field { return "config file: field \"\(field)\": \(message)" }
        return "config file: \(message)"
    }
}
