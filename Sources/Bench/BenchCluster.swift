import Foundation
import KubeObjects
import Model
import SwitchyardCore
import Synthetic
import Watch

/// A stream of watch-event batches, one logical change per call.
protocol ChangeStream: Sendable {
    mutating func nextChange() -> [ObjectEvent]
}

extension ChurnGenerator: ChangeStream {}

/// The cluster one bench row runs against: the seeded synthetic cluster, or a replayed dump.
struct BenchCluster: Sendable {
    enum Origin: Sendable {
        case synthetic(SyntheticCluster)
        case replay(ReplayCluster)
    }
    let origin: Origin

    var objects: [KubeObject] {
        switch origin {
        case .synthetic(let c): return c.objects()
        case .replay(let r): return r.objects
        }
    }

    /// The proxy's node config: the first node of the cluster, and its cluster CIDRs.
    var nodeConfig: NodeConfig {
        switch origin {
        case .synthetic(let c):
            return NodeConfig(nodeName: c.nodeName, clusterCIDRs: [CIDR(SyntheticCluster.clusterCIDR)!, CIDR(SyntheticCluster.clusterCIDRv6)!])
        case .replay(let r): return NodeConfig(nodeName: r.nodeName, clusterCIDRs: r.clusterCIDRs)
        }
    }

    /// `synthetic` or `manifests:<path>`.
    var source: String {
        switch origin {
        case .synthetic: return "synthetic"
        case .replay(let r): return "manifests:\(r.path)"
        }
    }

    /// A change stream of `kind`.
    func changes(_ kind: ChurnGenerator.Kind, seed: UInt64) -> any ChangeStream {
        switch origin {
        case .synthetic(let c): return ChurnGenerator(cluster: c, kind: kind, seed: seed)
        case .replay(let r): return ReplayChurn(cluster: r, kind: kind, seed: seed)
        }
    }
}

/// A cluster dump (`kubectl get svc,endpointslices,nodes -A -o yaml`, or any manifests
/// `ManifestSource` reads) as the bench's cluster.
struct ReplayCluster: Sendable {
    let path: String
    let objects: [KubeObject]
    /// The proxy runs as the first Node in the dump (`bench-node` when there is none).
    let nodeName: String
    /// The nodes' pod CIDRs widened to /16 (IPv4) and /48 (IPv6), deduplicated: the dump does not
    /// carry `--cluster-cidr`, and per-node /24s are the usual carving of such a range.
    let clusterCIDRs: [CIDR]
    let serviceCount: Int
    /// Decoding notes (objects skipped), for the report.
    let diagnostics: [String]

    /// Loads `path`; throws `BenchError` when it cannot be read or holds no Service.
    static func load(_ path: String) throws -> ReplayCluster {
        let load: ManifestLoad
        do { load = try ManifestSource(paths: [path]).load() } catch {
            throw BenchError("--manifests \(path): \(error)")
        }
        let objects = load.events.compactMap { event -> KubeObject? in
            if case .upsert(let o) = event { return o } else { return nil }
        }
        let services = objects.filter { if case .service = $0 { true } else { false } }.count
        guard services > 0 else {
            let why = load.diagnostics.first.map { "; first problem: \($0.description)" } ?? ""
            throw BenchError("--manifests \(path): no Service objects found (expected the output of kubectl get svc,endpointslices,nodes -A -o yaml)\(why)")
        }
        let nodes = objects.compactMap { if case .node(let n) = $0 { n } else { nil } }
        var cidrs: [CIDR] = []
        for node in nodes {
            for text in (node.spec?.podCIDRs ?? []) + [node.spec?.podCIDR].compactMap({ $0 }) {
                guard let c = CIDR(text) else { continue }
                let wide = CIDR(address: c.address, prefixLength: min(c.prefixLength, c.family == .ipv4 ? 16 : 48))!
                if !cidrs.contains(wide) { cidrs.append(wide) }
            }
        }
        return ReplayCluster(path: path, objects: objects, nodeName: nodes.first?.metadata.name ?? "bench-node",
                             clusterCIDRs: cidrs.sorted(), serviceCount: services,
                             diagnostics: load.diagnostics.map(\.description))
    }
}

/// Changes against a replayed dump. Endpoint change: the first endpoint of the next slice (in
/// dump order, cycling) flips its `ready` condition. Service add: a copy of the next dump service
/// as a ClusterIP service under a new name with a free IPv4 ClusterIP (NodePorts, external and LB
/// addresses dropped), with copies of its IPv4 slices; streams with different seeds use disjoint
/// names and address blocks, so several streams against one tracker never collide. Service remove: the next dump service and
/// its slices are deleted. Mixed: 80 % / 10 % / 10 % of those.
struct ReplayChurn: ChangeStream {
    let kind: ChurnGenerator.Kind
    private var slices: [EndpointSlice]
    private var services: [Service]
    private var slicesByService: [String: [EndpointSlice]]
    private var usedIPs: Set<UInt32>
    private var nextIP: UInt32
    private var sliceCursor = 0, addCursor = 0, removeCursor = 0, copies = 0
    private var rng: UInt64
    /// Marks this stream's added services (from the seed).
    private let tag: String

    init(cluster: ReplayCluster, kind: ChurnGenerator.Kind, seed: UInt64) {
        self.kind = kind
        rng = seed | 1
        slices = cluster.objects.compactMap { if case .endpointSlice(let s) = $0, !(s.endpoints ?? []).isEmpty { s } else { nil } }
        services = cluster.objects.compactMap { o -> Service? in
            guard case .service(let s) = o, let ip = s.spec?.clusterIP, IPAddress(ip) != nil else { return nil }
            return s
        }
        var byService: [String: [EndpointSlice]] = [:]
        for case .endpointSlice(let s) in cluster.objects {
            guard let svc = s.metadata.labels?[EndpointSlice.serviceNameLabel] else { continue }
            byService["\(s.metadata.namespace ?? "")/\(svc)", default: []].append(s)
        }
        slicesByService = byService
        let v4 = services.flatMap { ($0.spec?.clusterIPs ?? []) + [$0.spec?.clusterIP].compactMap { $0 } }
            .compactMap { IPAddress($0) }.filter { $0.family == .ipv4 }.map(\.v4Value)
        usedIPs = Set(v4)
        nextIP = (v4.max() ?? IPAddress("10.96.0.0")!.v4Value) &+ 1 &+ UInt32(truncatingIfNeeded: seed & 0xff) << 12
        tag = String(seed & 0xff, radix: 16)
    }

    mutating func nextChange() -> [ObjectEvent] {
        switch kind {
        case .endpointChange: return changeEndpoint()
        case .serviceAdd: return addService()
        case .serviceRemove: return removeService()
        case .mixed:
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let r = (rng >> 33) % 10
            return r == 0 ? addService() : r == 1 ? removeService() : changeEndpoint()
        }
    }

    private mutating func changeEndpoint() -> [ObjectEvent] {
        guard !slices.isEmpty else { return [] }
        let i = sliceCursor % slices.count
        sliceCursor += 1
        var slice = slices[i]
        var endpoints = slice.endpoints ?? []
        var conditions = endpoints[0].conditions ?? EndpointConditions()
        let ready = conditions.ready ?? true
        conditions.ready = !ready
        conditions.serving = !ready
        endpoints[0].conditions = conditions
        slice.endpoints = endpoints
        slices[i] = slice
        return [.upsert(.endpointSlice(slice))]
    }

    private mutating func addService() -> [ObjectEvent] {
        guard !services.isEmpty else { return [] }
        let original = services[addCursor % services.count]
        addCursor += 1
        copies += 1
        while usedIPs.contains(nextIP) { nextIP &+= 1 }
        let ip = IPAddress(v4: nextIP)
        usedIPs.insert(nextIP)
        let name = "\(String((original.metadata.name ?? "svc").prefix(45)))-sy\(tag)x\(copies)"
        var copy = original
        copy.metadata = ObjectMeta(name: name, namespace: original.metadata.namespace, resourceVersion: "1")
        var spec = copy.spec ?? ServiceSpec()
        spec.type = "ClusterIP"; spec.clusterIP = ip.description; spec.clusterIPs = [ip.description]
        spec.ipFamilies = ["IPv4"]; spec.ipFamilyPolicy = "SingleStack"
        spec.externalIPs = nil; spec.loadBalancerIP = nil; spec.loadBalancerSourceRanges = nil
        spec.healthCheckNodePort = nil; spec.externalTrafficPolicy = nil
        spec.ports = spec.ports?.map { var p = $0; p.nodePort = nil; return p }
        copy.spec = spec
        copy.status = nil
        var events: [ObjectEvent] = [.upsert(.service(copy))]
        let key = "\(original.metadata.namespace ?? "")/\(original.metadata.name ?? "")"
        for (k, slice) in (slicesByService[key] ?? []).filter({ $0.addressType == "IPv4" }).enumerated() {
            var s = slice
            var labels = s.metadata.labels ?? [:]
            labels[EndpointSlice.serviceNameLabel] = name
            s.metadata = ObjectMeta(name: "\(name)-\(k)", namespace: slice.metadata.namespace, resourceVersion: "1", labels: labels)
            events.append(.upsert(.endpointSlice(s)))
        }
        return events
    }

    private mutating func removeService() -> [ObjectEvent] {
        guard !services.isEmpty else { return [] }
        let victim = services.remove(at: removeCursor % services.count)
        removeCursor += 1
        let ns = victim.metadata.namespace ?? "", name = victim.metadata.name ?? ""
        var events: [ObjectEvent] = [.delete(ObjectRef(kind: .service, namespace: ns, name: name))]
        for s in slicesByService.removeValue(forKey: "\(ns)/\(name)") ?? [] {
            events.append(.delete(ObjectRef(kind: .endpointSlice, namespace: ns, name: s.metadata.name ?? "")))
        }
        slices.removeAll { $0.metadata.namespace == ns && $0.metadata.labels?[EndpointSlice.serviceNameLabel] == name }
        return events
    }
}
