import Foundation
import Testing
import Yams

/// deploy/: every overlay builds with kubectl kustomize, has the shape of kube-proxy's DaemonSet and
/// the right mode, and passes a strict schema check; the schema check rejects a misspelt field.
@Suite(.enabled(if: DeployTool.kubectl != nil, "kubectl not installed"))
struct DeployManifestTests {
    typealias Object = [String: Any]

    static func objects(_ overlay: String) throws -> [Object] {
        let r = try DeployTool.build(overlay, kubectl: try #require(DeployTool.kubectl))
        #expect(r.status == 0, "\(r.error)")
        return try Yams.load_all(yaml: r.output).compactMap { $0 as? Object }
    }

    static func find(_ objects: [Object], kind: String) throws -> Object {
        try #require(objects.first { $0["kind"] as? String == kind }, "no \(kind)")
    }

    static func dig(_ value: Any?, _ path: String...) -> Any? {
        path.reduce(value) { current, key in
            if let i = Int(key) { return (current as? [Any]).flatMap { i < $0.count ? $0[i] : nil } }
            return (current as? Object)?[key]
        }
    }

    @Test(arguments: DeployTool.overlays)
    func overlayBuildsWithTheDaemonSetShape(overlay: String) throws {
        let objects = try Self.objects(overlay)
        #expect(Set(objects.compactMap { $0["kind"] as? String })
                == ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet"])
        for o in objects where o["kind"] as? String != "ClusterRole" && o["kind"] as? String != "ClusterRoleBinding" {
            #expect(Self.dig(o, "metadata", "namespace") as? String == "kube-system")
        }
        let ds = try Self.find(objects, kind: "DaemonSet")
        let pod = try #require(Self.dig(ds, "spec", "template", "spec") as? Object)
        #expect(pod["hostNetwork"] as? Bool == true)
        #expect(pod["priorityClassName"] as? String == "system-node-critical")
        #expect(Self.dig(pod, "tolerations", "0", "operator") as? String == "Exists")
        #expect(Self.dig(ds, "spec", "updateStrategy", "rollingUpdate", "maxUnavailable") as? Int == 1)
        let c = try #require(Self.dig(pod, "containers", "0") as? Object)
        #expect(c["image"] as? String == "switchyard:latest")
        #expect(c["command"] as? [String] == ["switchyard", "run", "--config", "/var/lib/switchyard/config.conf",
                                             "--hostname-override=$(NODE_NAME)"])
        #expect(Self.dig(c, "env", "0", "valueFrom", "fieldRef", "fieldPath") as? String == "spec.nodeName")
        #expect(Self.dig(c, "securityContext", "privileged") as? Bool == true)
        #expect(Self.dig(c, "livenessProbe", "httpGet", "path") as? String == "/livez")
        #expect(Self.dig(c, "livenessProbe", "httpGet", "port") as? Int == 10256)
        #expect(Self.dig(c, "readinessProbe", "httpGet", "path") as? String == "/healthz")
        let mounts = (c["volumeMounts"] as? [Object] ?? []).reduce(into: [String: Object]()) { $0[$1["mountPath"] as? String ?? ""] = $1 }
        #expect(mounts["/lib/modules"]?["readOnly"] as? Bool == true)
        #expect(mounts["/run/xtables.lock"] != nil)
        let volumes = (pod["volumes"] as? [Object] ?? [])
        #expect(volumes.contains { Self.dig($0, "hostPath", "path") as? String == "/run/xtables.lock"
                                   && Self.dig($0, "hostPath", "type") as? String == "FileOrCreate" })
        // The DaemonSet mounts the generated (hash-suffixed) ConfigMap.
        let cm = try Self.find(objects, kind: "ConfigMap")
        let cmName = try #require(Self.dig(cm, "metadata", "name") as? String)
        #expect(volumes.contains { Self.dig($0, "configMap", "name") as? String == cmName })
        // RBAC: kube-proxy's grants.
        let rules = try #require(Self.find(objects, kind: "ClusterRole")["rules"] as? [Object])
        let grants = Set(rules.flatMap { r in
            (r["apiGroups"] as? [String] ?? []).flatMap { g in (r["resources"] as? [String] ?? []).flatMap { res in
                (r["verbs"] as? [String] ?? []).map { "\(g)/\(res):\($0)" } } }
        })
        for needed in ["/services:watch", "/nodes:list", "discovery.k8s.io/endpointslices:watch", "/events:create",
                       "events.k8s.io/events:patch"] {
            #expect(grants.contains(needed), "\(needed)")
        }
    }

    @Test(arguments: DeployTool.overlays)
    func configMapHoldsAKubeProxyConfigurationForTheOverlaysMode(overlay: String) throws {
        let cm = try Self.find(try Self.objects(overlay), kind: "ConfigMap")
        let text = try #require(Self.dig(cm, "data", "config.conf") as? String)
        let config = try #require(try Yams.load(yaml: text) as? Object)
        #expect(config["apiVersion"] as? String == "kubeproxy.config.k8s.io/v1alpha1")
        #expect(config["kind"] as? String == "KubeProxyConfiguration")
        #expect(config["mode"] as? String == overlay)
        #expect(config["healthzBindAddress"] as? String == "0.0.0.0:10256")
        #expect(Self.dig(config, "iptables", "masqueradeBit") as? Int == 15)
        // Only mode differs between the overlays' copies of the configuration.
        let base = try String(contentsOf: DeployTool.root.appendingPathComponent("deploy/base/config.conf"), encoding: .utf8)
        var baseConfig = try #require(try Yams.load(yaml: base) as? Object)
        baseConfig["mode"] = overlay
        #expect(NSDictionary(dictionary: baseConfig).isEqual(to: config))
        // Every key is a KubeProxyConfiguration v1alpha1 field (a misspelt one would be ignored silently).
        let known: Set<String> = ["apiVersion", "kind", "featureGates", "clientConnection", "logging", "hostnameOverride",
                                  "bindAddress", "healthzBindAddress", "metricsBindAddress", "bindAddressHardFail",
                                  "enableProfiling", "showHiddenMetricsForVersion", "mode", "iptables", "ipvs", "nftables",
                                  "winkernel", "detectLocalMode", "detectLocal", "clusterCIDR", "nodePortAddresses",
                                  "oomScoreAdj", "conntrack", "configSyncPeriod", "portRange", "windowsRunAsService",
                                  "syncPeriod", "minSyncPeriod"]
        #expect(Set(config.keys).subtracting(known).isEmpty, "unknown keys \(Set(config.keys).subtracting(known))")
    }
}

/// The strict schema check (PyPI kubernetes-validate with its bundled schemas; scripts/setup installs it).
@Suite(.enabled(if: DeployTool.kubectl != nil && DeployTool.kubernetesValidate != nil,
                "kubectl or kubernetes-validate missing (scripts/setup installs kubernetes-validate)"))
struct DeploySchemaTests {
    static func validate(_ file: URL) throws -> DeployTool.Result {
        try DeployTool.run([try #require(DeployTool.kubernetesValidate), "--strict", "--quiet", "--no-warn", file.path])
    }

    static func withTemporaryFile<T>(_ text: String, _ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sy-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("manifest.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try body(file)
    }

    @Test(arguments: DeployTool.overlays)
    func overlayPassesStrictSchemaValidation(overlay: String) throws {
        let built = try DeployTool.build(overlay, kubectl: try #require(DeployTool.kubectl))
        try #require(built.status == 0)
        let r = try Self.withTemporaryFile(built.output, Self.validate)
        #expect(r.status == 0, "\(r.output)\(r.error)")
    }

    /// The check is not vacuous: one misspelt field, or a wrong type, fails it.
    @Test(arguments: [("hostNetwork: true", "hostNetwrok: true"), ("maxUnavailable: 1", "maxUnavailable: [1]"),
                      ("readOnly: true", "readonly: true")])
    func misspeltFieldFails(original: String, broken: String) throws {
        let built = try DeployTool.build("nftables", kubectl: try #require(DeployTool.kubectl))
        try #require(built.output.contains(original))
        let r = try Self.withTemporaryFile(built.output.replacingOccurrences(of: original, with: broken), Self.validate)
        #expect(r.status != 0)
        #expect((r.output + r.error).contains("did not validate"), "\(r.output)\(r.error)")
    }
}
