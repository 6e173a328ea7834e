import KubeObjects
import SwitchyardCore

/// Validates a Service and decides whether this proxy handles it. Pure; one diagnostic per
/// rejected object, naming the first offending field.
public enum ServiceValidation {
    public static let serviceProxyNameLabel = "service.kubernetes.io/service-proxy-name"
    public static let headlessLabel = "service.kubernetes.io/headless"
    public static let topologyModeAnnotation = "service.kubernetes.io/topology-mode"
    public static let topologyHintsAnnotation = "service.kubernetes.io/topology-aware-hints"
    public static let sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"
    public static let ipvsSchedulerAnnotation = "switchyard.io/ipvs-scheduler"
    /// Schedulers accepted in the `switchyard.io/ipvs-scheduler` annotation.
    public static let ipvsSchedulers: Set<String> = [
        "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos",
    ]
    /// Default and maximum ClientIP affinity timeouts (seconds).
    public static let defaultAffinityTimeout: UInt32 = 10800
    public static let maxAffinityTimeout = 86400

    /// Validates `service` for a node configured with `config`.
    public static func intake(_ service: Service, config: NodeConfig) -> ServiceIntake {
        let meta = service.metadata
        let namespace = NameValidation.effectiveNamespace(meta.namespace)
        let rawName = meta.name ?? ""
        let fail = { (field: String, reason: String) in
            ServiceIntake.rejected(Diagnostic(kind: "Service", namespace: namespace, name: rawName, field: field, reason: reason))
        }
        guard NameValidation.isDNSLabel(namespace) else { return fail("metadata.namespace", "\"\(namespace)\" is not a DNS-1123 label") }
        guard NameValidation.isDNSLabel(rawName) else { return fail("metadata.name", "\"\(rawName)\" is not a DNS-1123 label") }
        if let reason = ignoreReason(service, config: config) { return .ignored(reason: reason) }
        do {
            let svc = try validated(service, name: ServiceName(namespace: namespace, name: rawName))
            return .handled(svc)
        } catch {
            return fail(error.field, error.reason)
        }
    }

    /// Why a Service is not this proxy's business, or nil when it is handled.
    public static func ignoreReason(_ service: Service, config: NodeConfig) -> String? {
        let labels = service.metadata.labels ?? [:]
        if let owner = labels[serviceProxyNameLabel], owner != config.serviceProxyName {
            return "handled by service proxy \"\(owner)\""
        }
        if labels[headlessLabel] != nil { return "labelled headless" }
        let spec = service.spec
        if spec?.type == "ExternalName" { return "ExternalName service" }
        let ips = clusterIPStrings(spec)
        if ips.isEmpty || ips.contains("None") { return "headless service" }
        return nil
    }

    /// `spec.clusterIPs`, falling back to `spec.clusterIP`.
    static func clusterIPStrings(_ spec: ServiceSpec?) -> [String] {
        if let ips = spec?.clusterIPs, !ips.isEmpty { return ips }
        if let ip = spec?.clusterIP, !ip.isEmpty { return [ip] }
        return []
    }

    /// A field error: the path and the reason.
    struct FieldError: Error {
        var field: String
        var reason: String
        init(_ field: String, _ reason: String) { self.field = field; self.reason = reason }
    }

    static func validated(_ service: Service, name: ServiceName) throws(FieldError) -> ValidatedService {
        let spec = service.spec ?? ServiceSpec()
        let type = try serviceType(spec.type)
        let clusterIPs = try parseClusterIPs(spec)
        let ports = try parsePorts(spec.ports ?? [], keepNodePorts: type != .clusterIP)
        let externalIPs = try parseIPs(spec.externalIPs ?? [], field: "spec.externalIPs")
        let lbIPs = type == .loadBalancer ? try parseIngress(service.status?.loadBalancer?.ingress ?? []) : []
        let ranges = try parseSourceRanges(spec, annotations: service.metadata.annotations ?? [:])
        let affinity = try parseAffinity(spec)
        let eTPLocal = try parseExternalPolicy(spec.externalTrafficPolicy)
        let iTPLocal = try parseInternalPolicy(spec.internalTrafficPolicy)
        let hcnp = try parseHealthCheckNodePort(spec.healthCheckNodePort)
        let scheduler = try parseScheduler(service.metadata.annotations ?? [:])
        return ValidatedService(
            name: name, type: type, clusterIPs: clusterIPs, ports: ports, externalIPs: externalIPs,
            loadBalancerIPs: lbIPs, loadBalancerSourceRanges: ranges, affinityTimeout: affinity,
            externalTrafficLocal: eTPLocal, internalTrafficLocal: iTPLocal,
            healthCheckNodePort: (type == .loadBalancer && eTPLocal) ? hcnp : nil,
            topology: topologyPreference(spec, annotations: service.metadata.annotations ?? [:]),
            ipvsScheduler: scheduler)
    }

    static func serviceType(_ text: String?) throws(FieldError) -> ServiceType {
        guard let text else { return .clusterIP }
        guard let t = ServiceType(rawValue: text) else { throw FieldError("spec.type", "unknown type \"\(text)\"") }
        return t
    }

    static func parseClusterIPs(_ spec: ServiceSpec) throws(FieldError) -> [IPAddress] {
        let field = (spec.clusterIPs?.isEmpty ?? true) ? "spec.clusterIP" : "spec.clusterIPs"
        var out: [IPAddress] = []
        for (i, text) in clusterIPStrings(spec).enumerated() {
            let f = field == "spec.clusterIP" ? field : "\(field)[\(i)]"
            guard let ip = IPAddress(text) else { throw FieldError(f, "\"\(text)\" is not an IP address") }
            guard !out.contains(where: { $0.family == ip.family }) else { throw FieldError(f, "second \(ip.family.rawValue) cluster IP") }
            out.append(ip)
        }
        return out
    }

    static func parsePorts(_ specs: [ServicePortSpec], keepNodePorts: Bool) throws(FieldError) -> [ValidatedServicePortSpec] {
        var out: [ValidatedServicePortSpec] = []
        var names = Set<String>()
        for (i, p) in specs.enumerated() {
            var at: String { "spec.ports[\(i)]" }
            let name = p.name ?? ""
            guard NameValidation.isPortName(name) else { throw FieldError("\(at).name", "\"\(name)\" is not a DNS-1123 label") }
            guard names.insert(name).inserted else { throw FieldError("\(at).name", "duplicate port name \"\(name)\"") }
            guard let proto = L4Protocol(kubernetes: p.protocol) else {
                throw FieldError("\(at).protocol", "unknown protocol \"\(p.protocol ?? "")\"")
            }
            guard let port = p.port, (1...65535).contains(port) else {
                throw FieldError("\(at).port", p.port.map { "\($0) is out of range 1-65535" } ?? "missing")
            }
            let nodePort = p.nodePort ?? 0
            guard (0...65535).contains(nodePort) else { throw FieldError("\(at).nodePort", "\(nodePort) is out of range 1-65535") }
            out.append(ValidatedServicePortSpec(name: name, proto: proto, port: UInt16(port),
                                                nodePort: keepNodePorts && nodePort != 0 ? UInt16(nodePort) : nil))
        }
        return out
    }

    static func parseIPs(_ texts: [String], field: String) throws(FieldError) -> [IPAddress] {
        var out: [IPAddress] = []
        for (i, text) in texts.enumerated() {
            guard let ip = IPAddress(text) else { throw FieldError("\(field)[\(i)]", "\"\(text)\" is not an IP address") }
            out.append(ip)
        }
        return out
    }

    /// VIP-mode ingress IPs; `ipMode: Proxy` (or any mode but VIP) and hostname-only entries are skipped.
    static func parseIngress(_ ingress: [LoadBalancerIngress]) throws(FieldError) -> [IPAddress] {
        var out: [IPAddress] = []
        for (i, ing) in ingress.enumerated() {
            guard let text = ing.ip, !text.isEmpty else { continue }
            guard let ip = IPAddress(text) else {
                throw FieldError("status.loadBalancer.ingress[\(i)].ip", "\"\(text)\" is not an IP address")
            }
            if ing.ipMode == nil || ing.ipMode == "VIP" { out.append(ip) }
        }
        return out
    }

    /// `spec.loadBalancerSourceRanges` (whitespace-trimmed, as the API lets padding through), or the
    /// legacy comma-separated annotation when the field is empty.
    static func parseSourceRanges(_ spec: ServiceSpec, annotations: [String: String]) throws(FieldError) -> [CIDR] {
        var texts = spec.loadBalancerSourceRanges ?? []
        var field = "spec.loadBalancerSourceRanges"
        if texts.isEmpty, let ann = annotations[sourceRangesAnnotation] {
            texts = ann.split(separator: ",").map(String.init)
            field = "metadata.annotations[\(sourceRangesAnnotation)]"
        }
        var out: [CIDR] = []
        for (i, raw) in texts.enumerated() {
            let text = raw.trimmingSpaces
            guard text.contains("/"), let cidr = CIDR(text) else { throw FieldError("\(field)[\(i)]", "\"\(raw)\" is not a CIDR") }
            out.append(cidr)
        }
        return out
    }

    static func parseAffinity(_ spec: ServiceSpec) throws(FieldError) -> UInt32? {
        switch spec.sessionAffinity {
        case nil, "None": return nil
        case "ClientIP":
            guard let t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds else { return defaultAffinityTimeout }
            guard (1...maxAffinityTimeout).contains(t) else {
                throw FieldError("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "\(t) is out of range 1-\(maxAffinityTimeout)")
            }
            return UInt32(t)
        case let other?: throw FieldError("spec.sessionAffinity", "unknown affinity \"\(other)\"")
        }
    }

    static func parseExternalPolicy(_ text: String?) throws(FieldError) -> Bool {
        switch text {
        case nil, "Cluster": return false
        case "Local", "OnlyLocal": return true
        case let other?: throw FieldError("spec.externalTrafficPolicy", "unknown policy \"\(other)\"")
        }
    }

    static func parseInternalPolicy(_ text: String?) throws(FieldError) -> Bool {
        switch text {
        case nil, "Cluster": return false
        case "Local": return true
        case let other?: throw FieldError("spec.internalTrafficPolicy", "unknown policy \"\(other)\"")
        }
    }

    static func parseHealthCheckNodePort(_ value: Int?) throws(FieldError) -> UInt16? {
        guard let value, value != 0 else { return nil }
        guard (1...65535).contains(value) else { throw FieldError("spec.healthCheckNodePort", "\(value) is out of range 1-65535") }
        return UInt16(value)
    }

    static func parseScheduler(_ annotations: [String: String]) throws(FieldError) -> String? {
        guard let value = annotations[ipvsSchedulerAnnotation] else { return nil }
        guard ipvsSchedulers.contains(value) else {
            throw FieldError("metadata.annotations[\(ipvsSchedulerAnnotation)]", "unknown IPVS scheduler \"\(value)\"")
        }
        return value
    }

    /// Topology preference from `trafficDistribution` or the topology annotations (`Auto`/`auto`).
    /// Unknown values mean no preference, as the API allows values this proxy may not know.
    public static func topologyPreference(_ spec: ServiceSpec, annotations: [String: String]) -> TopologyPreference {
        switch spec.trafficDistribution {
        case "PreferSameNode": return .node
        case "PreferClose", "PreferSameZone": return .zone
        default: break
        }
        let mode = annotations[topologyModeAnnotation] ?? annotations[topologyHintsAnnotation]
        return mode == "Auto" || mode == "auto" ? .zone : .none
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let ws: Set<Character> = [" ", "\t", "\n", "\r"]
        guard let start = firstIndex(where: { !ws.contains($0) }), let end = lastIndex(where: { !ws.contains($0) }) else { return "" }
        return String(self[start...end])
    }
}
