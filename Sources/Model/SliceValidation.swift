import KubeObjects
import SwitchyardCore

/// One endpoint of a validated slice, before selection.
public struct SliceEndpoint: Hashable, Sendable {
    public var ip: IPAddress
    public var nodeName: String?
    public var ready: Bool
    public var serving: Bool
    public var terminating: Bool
    /// `hints.forZones[].name`.
    public var zoneHints: Set<String>
    /// `hints.forNodes[].name`.
    public var nodeHints: Set<String>

    public init(ip: IPAddress, nodeName: String? = nil, ready: Bool = true, serving: Bool = true, terminating: Bool = false,
                zoneHints: Set<String> = [], nodeHints: Set<String> = []) {
        self.ip = ip; self.nodeName = nodeName; self.ready = ready; self.serving = serving; self.terminating = terminating
        self.zoneHints = zoneHints; self.nodeHints = nodeHints
    }
}

/// One validated entry of a slice's `ports`.
public struct SlicePort: Hashable, Sendable {
    public var name: String
    public var proto: L4Protocol
    public var port: UInt16
    public init(name: String, proto: L4Protocol, port: UInt16) { self.name = name; self.proto = proto; self.port = port }
}

/// An EndpointSlice that passed validation, joined to its service by name.
public struct ValidatedSlice: Hashable, Sendable {
    public var service: ServiceName
    public var family: IPFamily
    public var ports: [SlicePort]
    public var endpoints: [SliceEndpoint]
    public init(service: ServiceName, family: IPFamily, ports: [SlicePort], endpoints: [SliceEndpoint]) {
        self.service = service; self.family = family; self.ports = ports; self.endpoints = endpoints
    }
}

/// The outcome of validating one slice: the usable part (nil when the whole slice is rejected or
/// ignored) and a diagnostic for every part that was skipped.
public struct SliceIntake: Hashable, Sendable {
    public var slice: ValidatedSlice?
    public var diagnostics: [Diagnostic]
}

/// Validates EndpointSlices. Bad metadata rejects the slice; a bad endpoint or port skips only that entry.
public enum SliceValidation {
    public static func intake(_ slice: EndpointSlice) -> SliceIntake {
        let namespace = NameValidation.effectiveNamespace(slice.metadata.namespace)
        let name = slice.metadata.name ?? ""
        func diag(_ field: String, _ reason: String) -> Diagnostic {
            Diagnostic(kind: "EndpointSlice", namespace: namespace, name: name, field: field, reason: reason)
        }
        func reject(_ field: String, _ reason: String) -> SliceIntake { SliceIntake(slice: nil, diagnostics: [diag(field, reason)]) }

        guard NameValidation.isDNSLabel(namespace) else { return reject("metadata.namespace", "\"\(namespace)\" is not a DNS-1123 label") }
        guard NameValidation.isDNSSubdomain(name) else { return reject("metadata.name", "\"\(name)\" is not a DNS-1123 subdomain") }
        let labelField = "metadata.labels[\(EndpointSlice.serviceNameLabel)]"
        // Slices without the label belong to no service (kube-proxy ignores them too).
        guard let serviceName = slice.metadata.labels?[EndpointSlice.serviceNameLabel] else { return SliceIntake(slice: nil, diagnostics: []) }
        guard NameValidation.isDNSLabel(serviceName) else { return reject(labelField, "\"\(serviceName)\" is not a DNS-1123 label") }
        let family: IPFamily
        switch slice.addressType {
        case "IPv4": family = .ipv4
        case "IPv6": family = .ipv6
        case "FQDN": return SliceIntake(slice: nil, diagnostics: [])
        case let other: return reject("addressType", "unknown address type \"\(other ?? "")\"")
        }
        var diagnostics: [Diagnostic] = []
        let ports = validPorts(slice.ports ?? [], diag: diag, into: &diagnostics)
        let endpoints = validEndpoints(slice.endpoints ?? [], family: family, diag: diag, into: &diagnostics)
        let validated = ValidatedSlice(service: ServiceName(namespace: namespace, name: serviceName),
                                       family: family, ports: ports, endpoints: endpoints)
        return SliceIntake(slice: validated, diagnostics: diagnostics)
    }

    static func validPorts(_ specs: [EndpointPortSpec], diag: (String, String) -> Diagnostic,
                           into diagnostics: inout [Diagnostic]) -> [SlicePort] {
        var out: [SlicePort] = []
        for (i, p) in specs.enumerated() {
            var at: String { "ports[\(i)]" }
            let name = p.name ?? ""
            guard NameValidation.isPortName(name) else { diagnostics.append(diag("\(at).name", "\"\(name)\" is not a DNS-1123 label")); continue }
            guard let proto = L4Protocol(kubernetes: p.protocol) else {
                diagnostics.append(diag("\(at).protocol", "unknown protocol \"\(p.protocol ?? "")\"")); continue
            }
            guard let port = p.port, (1...65535).contains(port) else {
                diagnostics.append(diag("\(at).port", p.port.map { "\($0) is out of range 1-65535" } ?? "missing")); continue
            }
            guard !out.contains(where: { $0.name == name && $0.proto == proto }) else {
                diagnostics.append(diag("\(at).name", "duplicate port \"\(name)\"/\(proto.rawValue)")); continue
            }
            out.append(SlicePort(name: name, proto: proto, port: UInt16(port)))
        }
        return out
    }

    /// Endpoints with a valid first address of the slice's family (kube-proxy uses only the first).
    static func validEndpoints(_ specs: [EndpointSpec], family: IPFamily, diag: (String, String) -> Diagnostic,
                               into diagnostics: inout [Diagnostic]) -> [SliceEndpoint] {
        var out: [SliceEndpoint] = []
        out.reserveCapacity(specs.count)
        for (i, e) in specs.enumerated() {
            var field: String { "endpoints[\(i)].addresses[0]" }
            guard let text = e.addresses?.first else { diagnostics.append(diag("endpoints[\(i)].addresses", "empty")); continue }
            guard let ip = IPAddress(text) else { diagnostics.append(diag(field, "\"\(text)\" is not an IP address")); continue }
            guard ip.family == family else {
                diagnostics.append(diag(field, "\(ip) is not \(family.rawValue) like the slice")); continue
            }
            let c = e.conditions
            out.append(SliceEndpoint(
                ip: ip, nodeName: e.nodeName, ready: c?.ready ?? true, serving: c?.serving ?? true,
                terminating: c?.terminating ?? false,
                zoneHints: hintNames(e.hints?.forZones), nodeHints: hintNames(e.hints?.forNodes)))
        }
        return out
    }

    static func hintNames(_ hints: [NamedHint]?) -> Set<String> {
        guard let hints, !hints.isEmpty else { return [] }
        return Set(hints.compactMap(\.name))
    }
}
