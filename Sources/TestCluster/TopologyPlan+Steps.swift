import SwitchyardCore

extension TopologyPlan {
    /// The steps in dependency order: namespaces, sysctls (before interfaces exist, so `default.*`
    /// applies to them), the bridge with its ports, nodes with their pods' veths, pods, client.
    static func buildSteps(
        fabric: NetworkNamespace, nodes: [ClusterNode], pods: [ClusterPod], client: ClusterClient,
        spec: TestClusterSpec
    ) -> [Step] {
        let all = [fabric] + nodes.map(\.namespace) + [client.namespace] + pods.map(\.namespace)
        var steps: [Step] = [.ipBatch(namespace: nil, lines: all.map { "netns add \($0.name)" })]
        for ns in all {
            let forwards = ns == fabric || nodes.contains { $0.namespace == ns }
            let settings = sysctls(node: forwards, ipv6: spec.ipv6, routeLocalnet: spec.routeLocalnet && ns != fabric)
            if !settings.isEmpty { steps.append(.sysctl(namespace: ns, settings: settings)) }
        }
        steps.append(.ipBatch(namespace: fabric, lines: fabricLines(nodes: nodes, client: client, ipv6: spec.ipv6)))
        for node in nodes {
            let peer = nodes.first { $0.id == node.id.peer }!
            let mine = pods.filter { $0.node == node.id }
            steps.append(.ipBatch(namespace: node.namespace, lines: nodeLines(node, peer: peer, pods: mine, client: client)))
        }
        for pod in pods {
            let gateway = nodes.first { $0.id == pod.node }!
            steps.append(.ipBatch(namespace: pod.namespace, lines: podLines(pod, gatewayOf: gateway)))
        }
        steps.append(.ipBatch(namespace: client.namespace, lines: clientLines(client, entry: nodes[0])))
        return steps
    }

    static func sysctls(node: Bool, ipv6: Bool, routeLocalnet: Bool) -> [String] {
        var out: [String] = []
        if ipv6 { out += ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"] }
        guard node else { return out }
        out += ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"]
        if ipv6 { out.append("net.ipv6.conf.all.forwarding=1") }
        if routeLocalnet { out.append("net.ipv4.conf.all.route_localnet=1") }
        return out
    }

    /// The bridge, and one veth per node and the client: the bridge port is named after the member,
    /// its peer is `eth0` inside the member's namespace. The bridge also carries the upstream
    /// router's address (the nodes' default gateway), which answers ICMP unreachable for every
    /// destination it has no route to.
    static func fabricLines(nodes: [ClusterNode], client: ClusterClient, ipv6: Bool) -> [String] {
        var lines = ["link set lo up", "link add br0 type bridge", "link set br0 up",
                     "addr add \(routerV4)/24 dev br0",
                     "route add \(CIDR(address: client.ipv4, prefixLength: 24)!) dev br0",
                     "route add unreachable default"]
        if ipv6 { lines += ["addr add \(routerV6)/64 dev br0 nodad", "route add unreachable ::/0"] }
        let members = nodes.map { ($0.id.rawValue, $0.namespace, $0.interface) } + [("client", client.namespace, client.interface)]
        for (port, ns, ifname) in members {
            lines += [
                "link add \(port) type veth peer name \(ifname) netns \(ns.name)",
                "link set \(port) master br0",
                "link set \(port) up",
            ]
        }
        return lines
    }

    static func nodeLines(_ node: ClusterNode, peer: ClusterNode, pods: [ClusterPod], client: ClusterClient) -> [String] {
        var lines = ["link set lo up", "addr add \(node.ipv4)/24 dev \(node.interface)"]
        if let v6 = node.ipv6 { lines.append("addr add \(v6)/64 dev \(node.interface) nodad") }
        lines += [
            "link set \(node.interface) up",
            "route add \(CIDR(address: client.ipv4, prefixLength: 24)!) dev \(node.interface)",
            "route add \(peer.podCIDRv4) via \(peer.ipv4)",
            "route add default via \(routerV4)",
        ]
        if let range = peer.podCIDRv6, let via = peer.ipv6 {
            lines += ["route add \(range) via \(via)", "route add default via \(routerV6) dev \(node.interface)"]
        }
        let gateway4 = gatewayV4(node)
        for pod in pods {
            let veth = pod.hostInterface
            lines += [
                "link add \(veth) type veth peer name \(pod.interface) netns \(pod.namespace.name)",
                "addr add \(gateway4)/32 dev \(veth)",
            ]
            if node.ipv6 != nil { lines.append("addr add \(gatewayV6)/64 dev \(veth) nodad") }
            lines += ["link set \(veth) up", "route add \(pod.ipv4)/32 dev \(veth)"]
            if let v6 = pod.ipv6 { lines.append("route add \(v6)/128 dev \(veth)") }
        }
        return lines
    }

    static func podLines(_ pod: ClusterPod, gatewayOf node: ClusterNode) -> [String] {
        let gateway4 = gatewayV4(node)
        var lines = ["link set lo up", "addr add \(pod.ipv4)/32 dev \(pod.interface)"]
        if let v6 = pod.ipv6 { lines.append("addr add \(v6)/128 dev \(pod.interface) nodad") }
        lines += [
            "link set \(pod.interface) up",
            "route add \(gateway4)/32 dev \(pod.interface) scope link",
            "route add default via \(gateway4) dev \(pod.interface)",
        ]
        if pod.ipv6 != nil { lines.append("route add default via \(gatewayV6) dev \(pod.interface)") }
        return lines
    }

    static func clientLines(_ client: ClusterClient, entry: ClusterNode) -> [String] {
        var lines = [
            "link set lo up", "addr add \(client.ipv4)/24 dev \(client.interface)",
        ]
        if let v6 = client.ipv6 { lines.append("addr add \(v6)/64 dev \(client.interface) nodad") }
        lines += [
            "link set \(client.interface) up",
            "route add \(CIDR(address: entry.ipv4, prefixLength: 24)!) dev \(client.interface) scope link",
            "route add \(serviceCIDRv4) via \(entry.ipv4)",
            "route add \(clusterCIDRv4) via \(entry.ipv4)",
        ]
        if let via = entry.ipv6 {
            lines += ["route add \(serviceCIDRv6) via \(via)", "route add \(clusterCIDRv6) via \(via)"]
        }
        return lines
    }

    /// The node's gateway address for its pods: .1 of its pod range (on every pod veth, /32).
    static func gatewayV4(_ node: ClusterNode) -> IPAddress {
        IPAddress(v4: node.podCIDRv4.address.v4Value | 1)
    }

    /// The upstream router on the bridge (in the fabric namespace): the nodes' default gateway.
    public static let routerV4 = IPAddress("192.0.2.1")!
    public static let routerV6 = IPAddress("2001:db8::1")!

    /// The pods' IPv6 gateway: a fixed link-local address on every node-side veth.
    static let gatewayV6 = IPAddress("fe80::1")!
}
