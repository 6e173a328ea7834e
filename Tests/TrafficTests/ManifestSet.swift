import Foundation
import SwitchyardCore
import TestCluster

/// One service port of a test manifest.
struct PortSpec: Sendable {
    var name: String
    var proto: L4Protocol
    var port: UInt16
    var targetPort: UInt16
    var nodePort: UInt16?

    init(_ name: String, _ proto: L4Protocol, _ port: UInt16, target: UInt16, nodePort: UInt16? = nil) {
        self.name = name; self.proto = proto; self.port = port; self.targetPort = target; self.nodePort = nodePort
    }
}

/// A Service plus its EndpointSlices (one per family), written as Kubernetes JSON.
struct ServiceSpec: Sendable {
    var name: String
    var type = "ClusterIP"
    /// Cluster IPs, primary first (two for dual stack).
    var clusterIPs: [IPAddress]
    var ports: [PortSpec]
    /// Pods backing the service (ready, on their own node); empty means no EndpointSlice at all.
    var endpoints: [ClusterPod] = []
    var externalIPs: [IPAddress] = []
    var loadBalancerIPs: [IPAddress] = []
    var sourceRanges: [String] = []
    var externalTrafficPolicy: String?
    var internalTrafficPolicy: String?
    var clientIPAffinity = false
    /// `spec.healthCheckNodePort` (LoadBalancer services with externalTrafficPolicy Local).
    var healthCheckNodePort: UInt16?

    init(_ name: String, clusterIPs: [IPAddress], ports: [PortSpec], endpoints: [ClusterPod] = []) {
        self.name = name; self.clusterIPs = clusterIPs; self.ports = ports; self.endpoints = endpoints
    }

    func objects() -> [[String: Any]] {
        let families = clusterIPs.map(\.family)
        var spec: [String: Any] = [
            "type": type,
            "clusterIP": clusterIPs[0].description,
            "clusterIPs": clusterIPs.map(\.description),
            "ipFamilies": families.map { $0 == .ipv4 ? "IPv4" : "IPv6" },
            "ipFamilyPolicy": clusterIPs.count > 1 ? "RequireDualStack" : "SingleStack",
            "ports": ports.map { p -> [String: Any] in
                var port: [String: Any] = ["name": p.name, "protocol": p.proto.rawValue,
                                           "port": Int(p.port), "targetPort": Int(p.targetPort)]
                if let np = p.nodePort { port["nodePort"] = Int(np) }
                return port
            },
        ]
        if !externalIPs.isEmpty { spec["externalIPs"] = externalIPs.map(\.description) }
        if !sourceRanges.isEmpty { spec["loadBalancerSourceRanges"] = sourceRanges }
        if let externalTrafficPolicy { spec["externalTrafficPolicy"] = externalTrafficPolicy }
        if let internalTrafficPolicy { spec["internalTrafficPolicy"] = internalTrafficPolicy }
        if let healthCheckNodePort { spec["healthCheckNodePort"] = Int(healthCheckNodePort) }
        if clientIPAffinity {
            spec["sessionAffinity"] = "ClientIP"
            spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": 600]]
        }
        var service: [String: Any] = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": name, "namespace": "traffic"], "spec": spec,
        ]
        if !loadBalancerIPs.isEmpty {
            service["status"] = ["loadBalancer": ["ingress": loadBalancerIPs.map { ["ip": $0.description, "ipMode": "VIP"] }]]
        }
        var out = [service]
        for family in families {
            let members = endpoints.compactMap { pod in pod.address(family).map { (pod, $0) } }
            guard !members.isEmpty else { continue }
            out.append([
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": ["name": "\(name)-\(family == .ipv4 ? "v4" : "v6")", "namespace": "traffic",
                             "labels": ["kubernetes.io/service-name": name]],
                "addressType": family == .ipv4 ? "IPv4" : "IPv6",
                "ports": ports.map { ["name": $0.name, "protocol": $0.proto.rawValue, "port": Int($0.targetPort)] },
                "endpoints": members.map { pod, address -> [String: Any] in
                    ["addresses": [address.description], "conditions": ["ready": true], "nodeName": pod.node.rawValue]
                },
            ])
        }
        return out
    }
}

/// The Node objects of the test cluster plus some services: one manifest file (`kind: List`, JSON).
struct ManifestSet: Sendable {
    var services: [ServiceSpec]

    init(_ services: [ServiceSpec]) { self.services = services }

    func json(nodes: [ClusterNode]) throws -> Data {
        let nodeObjects: [[String: Any]] = nodes.map { node in
            let addresses = [node.ipv4, node.ipv6].compactMap { $0 }.map { ["type": "InternalIP", "address": $0.description] }
            return ["apiVersion": "v1", "kind": "Node",
                    "metadata": ["name": node.id.rawValue, "labels": ["kubernetes.io/hostname": node.id.rawValue]],
                    "status": ["addresses": addresses]]
        }
        let list: [String: Any] = ["apiVersion": "v1", "kind": "List",
                                   "items": nodeObjects + services.flatMap { $0.objects() }]
        return try JSONSerialization.data(withJSONObject: list, options: [.prettyPrinted, .sortedKeys])
    }
}
