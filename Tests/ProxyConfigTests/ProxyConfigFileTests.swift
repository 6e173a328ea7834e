import ProxyConfig
import SwitchyardCore
import Testing

/// A kubeadm-style configuration with every field kube-proxy v1alpha1 knows.
let fullYAML = """
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    bindAddress: 0.0.0.0
    bindAddressHardFail: false
    clientConnection:
      acceptContentTypes: ""
      burst: 10
      contentType: application/vnd.kubernetes.protobuf
      kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
      qps: 5
    clusterCIDR: 10.244.0.0/16,fd00:10:244::/48
    configSyncPeriod: 15m0s
    conntrack:
      maxPerCore: 32768
      min: 131072
      tcpBeLiberal: false
      tcpCloseWaitTimeout: 1h0m0s
      tcpEstablishedTimeout: 24h0m0s
      udpStreamTimeout: 0s
      udpTimeout: 0s
    detectLocal:
      bridgeInterface: ""
      interfaceNamePrefix: ""
    detectLocalMode: ClusterCIDR
    enableProfiling: false
    featureGates: {}
    healthzBindAddress: 0.0.0.0:10256
    hostnameOverride: node-a
    iptables:
      localhostNodePorts: true
      masqueradeAll: false
      masqueradeBit: 14
      minSyncPeriod: 1s
      syncPeriod: 30s
    ipvs:
      excludeCIDRs: null
      minSyncPeriod: 2s
      scheduler: wrr
      strictARP: false
      syncPeriod: 45s
      tcpFinTimeout: 0s
      tcpTimeout: 0s
      udpTimeout: 0s
    logging:
      flushFrequency: 0
      options: {json: {infoBufferSize: "0"}}
      verbosity: 0
    metricsBindAddress: 127.0.0.1:10249
    mode: nftables
    nftables:
      masqueradeAll: true
      masqueradeBit: 14
      minSyncPeriod: 500ms
      syncPeriod: 1m0s
    nodePortAddresses: ["192.0.2.0/24"]
    oomScoreAdj: -999
    portRange: ""
    showHiddenMetricsForVersion: ""
    winkernel: {enableDSR: false}
    """

@Suite("KubeProxyConfiguration file")
struct ProxyConfigFileTests {
    @Test("every applied field of a full kubeadm-style file")
    func fullFile() throws {
        let c = try ProxyConfigFile.parse(fullYAML)
        #expect(c.mode == .nftables)
        #expect(c.clusterCIDRs == [CIDR("10.244.0.0/16")!, CIDR("fd00:10:244::/48")!])
        #expect(c.hostnameOverride == "node-a")
        #expect(c.bindAddress == IPAddress("0.0.0.0"))
        #expect(c.healthzBindAddress == BindAddress(host: "0.0.0.0", port: 10256))
        #expect(c.metricsBindAddress == BindAddress(host: "127.0.0.1", port: 10249))
        #expect(c.nodePortAddresses == [CIDR("192.0.2.0/24")!])
        #expect(c.iptables == .init(syncPeriod: 30, minSyncPeriod: 1, masqueradeAll: false))
        #expect(c.ipvs == .init(syncPeriod: 45, minSyncPeriod: 2, masqueradeAll: nil))
        #expect(c.nftables == .init(syncPeriod: 60, minSyncPeriod: 0.5, masqueradeAll: true))
        #expect(c.settings(for: .nftables) == c.nftables && c.settings(for: .ipvs) == c.ipvs && c.settings(for: .iptables) == c.iptables)
        #expect(c.ipvsScheduler == "wrr")
        #expect(c.detectLocalMode == "ClusterCIDR")
        #expect(c.kubeconfig == "/var/lib/kube-proxy/kubeconfig.conf")
        #expect(c.conntrack.maxPerCore == 32768 && c.conntrack.min == 131072 && c.conntrack.tcpBeLiberal == false)
        #expect(c.conntrack.tcpCloseWaitTimeout == 3600 && c.conntrack.tcpEstablishedTimeout == 86400)
        #expect(c.conntrack.udpTimeout == 0 && c.conntrack.udpStreamTimeout == 0)
        #expect(c.warnings.isEmpty, "\(c.warnings)")
        // Accepted-but-unapplied fields are noted, each by name.
        for field in ["conntrack.maxPerCore", "iptables.masqueradeBit", "oomScoreAdj", "configSyncPeriod", "clientConnection.qps",
                      "featureGates", "logging", "winkernel", "ipvs.strictARP"] {
            #expect(c.notes.contains { $0.contains("\"\(field)\"") }, "note for \(field): \(c.notes)")
        }
        #expect(!c.notes.contains { $0.contains("\"mode\"") || $0.contains("syncPeriod\"") })
    }

    @Test("JSON is accepted and gives the same values")
    func json() throws {
        let text = """
            {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", "mode": "iptables",
             "clusterCIDR": "10.244.0.0/16", "iptables": {"syncPeriod": "10s", "minSyncPeriod": "0s", "masqueradeAll": true},
             "clientConnection": {"kubeconfig": "/k"}, "nodePortAddresses": null, "hostnameOverride": ""}
            """
        let c = try ProxyConfigFile.parse(text)
        #expect(c.mode == .iptables && c.clusterCIDRs == [CIDR("10.244.0.0/16")!])
        #expect(c.iptables == .init(syncPeriod: 10, minSyncPeriod: 0, masqueradeAll: true))
        #expect(c.kubeconfig == "/k" && c.nodePortAddresses == nil && c.hostnameOverride == nil)
    }

    @Test("an empty or minimal file sets nothing")
    func minimal() throws {
        let c = try ProxyConfigFile.parse("kind: KubeProxyConfiguration\nmode: \"\"\n")
        #expect(c == ProxyConfigFile())
    }

    @Test("nodePortAddresses: primary means the Node's own addresses")
    func primary() throws {
        #expect(try ProxyConfigFile.parse("nodePortAddresses: [primary]").nodePortAddresses == [])
    }

    @Test("unknown fields give one warning each, with their path")
    func unknown() throws {
        let c = try ProxyConfigFile.parse("""
            mode: nftables
            surprise: 1
            iptables: {syncPeriod: 5s, turbo: true}
            conntrack: {maxPerCore: 1, extra: x}
            clientConnection: {kubeconfig: /k, proxy: y}
            ipvs: {wat: 1}
            """)
        #expect(c.warnings.count == 5, "\(c.warnings)")
        for field in ["surprise", "iptables.turbo", "conntrack.extra", "clientConnection.proxy", "ipvs.wat"] {
            #expect(c.warnings.filter { $0.contains("\"\(field)\"") }.count == 1, "\(field): \(c.warnings)")
        }
        #expect(c.mode == .nftables && c.iptables.syncPeriod == 5 && c.kubeconfig == "/k")
    }

    @Test("invalid values are rejected naming the field", arguments: [
        ("apiVersion: kubeproxy.config.k8s.io/v1alpha2", "apiVersion"),
        ("kind: KubeletConfiguration", "kind"),
        ("mode: userspace", "mode"),
        ("mode: kernelspace", "mode"),
        ("clusterCIDR: 10.244.0.0", "clusterCIDR"),
        ("clusterCIDR: 10.244.0.0/16,nonsense", "clusterCIDR"),
        ("bindAddress: 0.0.0.0:1", "bindAddress"),
        ("healthzBindAddress: localhost:10256", "healthzBindAddress"),
        ("metricsBindAddress: 127.0.0.1:99999", "metricsBindAddress"),
        ("nodePortAddresses: [192.0.2.1]", "nodePortAddresses"),
        ("nodePortAddresses: [primary, 192.0.2.0/24]", "nodePortAddresses"),
        ("nodePortAddresses: 192.0.2.0/24", "nodePortAddresses"),
        ("iptables: {syncPeriod: 30}", "iptables.syncPeriod"),
        ("iptables: {syncPeriod: 0s}", "iptables.syncPeriod"),
        ("nftables: {minSyncPeriod: -1s}", "nftables.minSyncPeriod"),
        ("nftables: {masqueradeAll: yes}", "nftables.masqueradeAll"),
        ("nftables: {masqueradeAll: \"true\"}", "nftables.masqueradeAll"),
        ("iptables: {masqueradeBit: 32}", "iptables.masqueradeBit"),
        ("ipvs: {scheduler: fastest}", "ipvs.scheduler"),
        ("ipvs: {tcpTimeout: forever}", "ipvs.tcpTimeout"),
        ("ipvs: 5", "ipvs"),
        ("detectLocalMode: NodeCIDR", "detectLocalMode"),
        ("detectLocalMode: BridgeInterface", "detectLocalMode"),
        ("detectLocalMode: Nope", "detectLocalMode"),
        ("conntrack: {maxPerCore: -1}", "conntrack.maxPerCore"),
        ("conntrack: {min: lots}", "conntrack.min"),
        ("conntrack: {tcpEstablishedTimeout: 1d}", "conntrack.tcpEstablishedTimeout"),
        ("conntrack: {tcpBeLiberal: 1}", "conntrack.tcpBeLiberal"),
        ("clientConnection: {qps: -1}", "clientConnection.qps"),
        ("clientConnection: {kubeconfig: [a]}", "clientConnection.kubeconfig"),
        ("oomScoreAdj: -1001", "oomScoreAdj"),
        ("hostnameOverride: {a: b}", "hostnameOverride"),
    ])
    func invalid(text: String, field: String) {
        do {
            let c = try ProxyConfigFile.parse(text)
            Issue.record("accepted \(text): \(c)")
        } catch {
            #expect(error.field == field, "\(text) → \(error)")
            #expect(error.description.contains("\"\(field)\""))
        }
    }

    @Test("text that is not a configuration object is rejected", arguments: ["- a\n- b", "just a string", "{unclosed: [", ""])
    func notAnObject(text: String) {
        #expect(throws: ProxyConfigError.self) { try ProxyConfigFile.parse(text) }
    }
}
