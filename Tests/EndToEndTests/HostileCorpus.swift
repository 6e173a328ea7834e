/// Manifests crafted to break a proxy: every hostile string carries the marker `PWN`, which must never
/// reach a rendered rule. One valid service (`evil/good`, 10.96.5.5 → 10.244.1.78:8080) must still render.
enum HostileCorpus {
    static let marker = "PWN"

    /// Objects that must be skipped entirely, as `Kind namespace/name` prefixes of their diagnostic.
    static let skippedServices = [
        "port-name-bad", "bad-cluster-ip", "bad-external-ip", "bad-source-range", "port-out-of-range",
        "bad-protocol", "duplicate-ports", "bad-affinity", "bad-type", "bad-etp", "bad-scheduler",
    ]

    static let yaml = #"""
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {topology.kubernetes.io/zone: "zone-a\"PWN22 }"}
status:
  addresses:
  - {type: InternalIP, address: "192.0.2.10 PWN21"}
  - {type: InternalIP, address: 192.0.2.10}
---
apiVersion: v1
kind: Service
metadata: {name: "web\"; flush ruleset; \"PWN1", namespace: evil}
spec: {clusterIP: 10.96.5.1, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: "a\nPWN3", namespace: evil}
spec: {clusterIP: 10.96.5.3, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: "PWN4aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", namespace: evil}
spec: {clusterIP: 10.96.5.4, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: port-name-bad, namespace: evil}
spec: {clusterIP: 10.96.5.2, ports: [{name: "http\"PWN2", port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: bad-cluster-ip, namespace: evil}
spec: {clusterIP: "10.96.1.1; PWN5", ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: bad-external-ip, namespace: evil}
spec: {clusterIP: 10.96.5.6, externalIPs: ["198.51.100.9 } PWN6"], ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: bad-lb-ip, namespace: evil}
spec: {type: LoadBalancer, clusterIP: 10.96.5.7, ports: [{name: http, port: 80, nodePort: 30107}]}
status: {loadBalancer: {ingress: [{ip: "203.0.113.9 PWN7"}]}}
---
apiVersion: v1
kind: Service
metadata: {name: bad-source-range, namespace: evil}
spec:
  type: LoadBalancer
  clusterIP: 10.96.5.8
  loadBalancerSourceRanges: ["0.0.0.0/0 accept PWN8"]
  ports: [{name: http, port: 80, nodePort: 30108}]
---
apiVersion: v1
kind: Service
metadata: {name: port-out-of-range, namespace: evil}
spec: {clusterIP: 10.96.5.9, ports: [{name: http, port: 70000}]}
---
apiVersion: v1
kind: Service
metadata: {name: bad-protocol, namespace: evil}
spec: {clusterIP: 10.96.5.10, ports: [{name: http, port: 80, protocol: "ICMP PWN10"}]}
---
apiVersion: v1
kind: Service
metadata: {name: duplicate-ports, namespace: evil}
spec: {clusterIP: 10.96.5.11, ports: [{name: http, port: 80}, {name: http, port: 81}]}
---
apiVersion: v1
kind: Service
metadata: {name: bad-affinity, namespace: evil}
spec:
  clusterIP: 10.96.5.12
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: -5}}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: bad-type, namespace: evil}
spec: {type: "Weird PWN12", clusterIP: 10.96.5.13, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: bad-etp, namespace: evil}
spec: {type: NodePort, externalTrafficPolicy: "Local PWN13", clusterIP: 10.96.5.14, ports: [{name: http, port: 80, nodePort: 30114}]}
---
apiVersion: v1
kind: Service
metadata:
  name: bad-scheduler
  namespace: evil
  annotations: {switchyard.io/ipvs-scheduler: "rr; PWN9"}
spec: {clusterIP: 10.96.5.15, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata:
  name: good
  namespace: evil
  labels: {app: "PWN23\" }"}
  annotations:
    evil: "PWN24 \" ; flush ruleset"
    service.kubernetes.io/topology-mode: "Auto\nPWN11"
spec:
  clusterIP: 10.96.5.5
  ports: [{name: http, port: 80, targetPort: "PWN25"}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: good-1
  namespace: evil
  labels: {kubernetes.io/service-name: good}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: "PWN18 x", port: 9999}]
endpoints:
- addresses: ["10.244.1.77; PWN14"]
  nodeName: node-a
- addresses: [10.244.1.78]
  nodeName: "node-a\nPWN15"
  zone: "\"z\" PWN16"
  hints: {forZones: [{name: "PWN17 }"}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: good-fqdn
  namespace: evil
  labels: {kubernetes.io/service-name: good}
addressType: FQDN
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [PWN19.example.com]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: "PWN20 \"x"
  namespace: evil
  labels: {kubernetes.io/service-name: good}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- addresses: [10.244.1.99]
"""#
}
