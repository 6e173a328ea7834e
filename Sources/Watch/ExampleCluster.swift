/// The embedded default cluster: what `switchyard dry-run` and the demo use when no
/// `--manifests` are given, so Switchyard can be tried without a Kubernetes cluster.
///
/// Two nodes (`node-a` 192.0.2.10 in zone-a, `node-b` 192.0.2.11 in zone-b), pods in
/// 10.244.1.0/24 (node-a) and 10.244.2.0/24 (node-b), services in 10.96.0.0/12, and one
/// service for each feature: ClusterIP, UDP, NodePort with `externalTrafficPolicy: Local`,
/// a LoadBalancer with source ranges and ClientIP affinity, externalIPs, a service with no
/// endpoints (rejected), `internalTrafficPolicy: Local`, and a dual-stack service.
/// `switchyard example` prints it.
public enum ExampleCluster {
    /// The manifests, as `kubectl get -o yaml` would print them (multi-document YAML).
    public static let yaml = #"""
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels:
    kubernetes.io/hostname: node-a
    topology.kubernetes.io/zone: zone-a
status:
  addresses:
  - type: InternalIP
    address: 192.0.2.10
  - type: InternalIP
    address: 2001:db8::10
  - type: Hostname
    address: node-a
---
apiVersion: v1
kind: Node
metadata:
  name: node-b
  labels:
    kubernetes.io/hostname: node-b
    topology.kubernetes.io/zone: zone-b
status:
  addresses:
  - type: InternalIP
    address: 192.0.2.11
  - type: InternalIP
    address: 2001:db8::11
---
# web: a plain ClusterIP service with endpoints on both nodes.
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  type: ClusterIP
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: demo
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, protocol: TCP, port: 8080}
endpoints:
- addresses: [10.244.1.2]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: node-a
  zone: zone-a
- addresses: [10.244.1.3]
  conditions: {ready: true}
  nodeName: node-a
  zone: zone-a
- addresses: [10.244.2.2]
  conditions: {ready: true}
  nodeName: node-b
  zone: zone-b
- addresses: [10.244.2.9]
  conditions: {ready: false, serving: true, terminating: true}
  nodeName: node-b
  zone: zone-b
---
# dns: UDP and TCP on the same port number.
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: demo}
spec:
  clusterIP: 10.96.0.53
  ports:
  - {name: dns, protocol: UDP, port: 53, targetPort: 5353}
  - {name: dns-tcp, protocol: TCP, port: 53, targetPort: 5353}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dns-x1
  namespace: demo
  labels: {kubernetes.io/service-name: dns}
addressType: IPv4
ports:
- {name: dns, protocol: UDP, port: 5353}
- {name: dns-tcp, protocol: TCP, port: 5353}
endpoints:
- addresses: [10.244.2.3]
  nodeName: node-b
---
# shop: a NodePort that keeps the client's source (externalTrafficPolicy: Local).
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: demo}
spec:
  type: NodePort
  clusterIP: 10.96.0.20
  externalTrafficPolicy: Local
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080, nodePort: 30080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: shop-k2
  namespace: demo
  labels: {kubernetes.io/service-name: shop}
addressType: IPv4
ports:
- {name: http, protocol: TCP, port: 8080}
endpoints:
- addresses: [10.244.1.4]
  nodeName: node-a
- addresses: [10.244.2.4]
  nodeName: node-b
---
# api: a LoadBalancer with source ranges and ClientIP session affinity.
apiVersion: v1
kind: Service
metadata: {name: api, namespace: demo}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.30
  loadBalancerSourceRanges: [203.0.113.0/24]
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  ports:
  - {name: https, protocol: TCP, port: 443, targetPort: 8443, nodePort: 30443}
status:
  loadBalancer:
    ingress:
    - {ip: 203.0.113.100, ipMode: VIP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: api-7f
  namespace: demo
  labels: {kubernetes.io/service-name: api}
addressType: IPv4
ports:
- {name: https, protocol: TCP, port: 8443}
endpoints:
- addresses: [10.244.1.5]
  nodeName: node-a
- addresses: [10.244.2.5]
  nodeName: node-b
---
# legacy: reachable on an external IP.
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: demo}
spec:
  clusterIP: 10.96.0.40
  externalIPs: [198.51.100.20]
  ports:
  - {protocol: TCP, port: 8080, targetPort: 8080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: legacy-1
  namespace: demo
  labels: {kubernetes.io/service-name: legacy}
addressType: IPv4
ports:
- {protocol: TCP, port: 8080}
endpoints:
- addresses: [10.244.2.6]
  nodeName: node-b
---
# empty: no endpoints, so connections are refused rather than hanging.
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: demo}
spec:
  clusterIP: 10.96.0.50
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080}
---
# node-local: internalTrafficPolicy Local; node-b's pods only, so node-a drops.
apiVersion: v1
kind: Service
metadata: {name: node-local, namespace: demo}
spec:
  clusterIP: 10.96.0.60
  internalTrafficPolicy: Local
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: node-local-1
  namespace: demo
  labels: {kubernetes.io/service-name: node-local}
addressType: IPv4
ports:
- {name: http, protocol: TCP, port: 8080}
endpoints:
- addresses: [10.244.2.7]
  nodeName: node-b
---
# dual: a dual-stack service.
apiVersion: v1
kind: Service
metadata: {name: dual, namespace: demo}
spec:
  clusterIP: 10.96.0.70
  clusterIPs: [10.96.0.70, "fd00:10:96::70"]
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: RequireDualStack
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dual-v4
  namespace: demo
  labels: {kubernetes.io/service-name: dual}
addressType: IPv4
ports:
- {name: http, protocol: TCP, port: 8080}
endpoints:
- addresses: [10.244.1.8]
  nodeName: node-a
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dual-v6
  namespace: demo
  labels: {kubernetes.io/service-name: dual}
addressType: IPv6
ports:
- {name: http, protocol: TCP, port: 8080}
endpoints:
- addresses: ["fd00:10:244:1::8"]
  nodeName: node-a
"""#
}
