// swift-tools-version:6.1
// Switchyard: a Kubernetes service proxy. Modules follow the data flow:
// Watch → KubeObjects → Model → Diff → Render* → Apply* (see docs/ARCHITECTURE.md).
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "switchyard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
        // The pure pipeline as libraries, for the separate Benchmarks/ package.
        .library(name: "SwitchyardPipeline", targets: [
            "SwitchyardCore", "KubeObjects", "Model", "Diff", "Render",
            "RenderNftables", "RenderIptables", "RenderIPVS", "Synthetic",
            // The nftables element encoding (`NftFullLoadEncoding`), benchmarked without a kernel.
            "ApplyNftables",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", .upToNextMinor(from: "2.101.2")),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    ],
    targets: [
        // Shared primitives: addresses, CIDRs, protocols, hashing, diagnostics. Pure.
        .target(name: "SwitchyardCore", swiftSettings: strict),
        // Kubernetes API objects (Service, EndpointSlice, Node) and their decoding. Pure.
        .target(name: "KubeObjects", dependencies: [
            "SwitchyardCore",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // Where objects come from: manifest files today, the API server later. Does I/O.
        .target(name: "Watch", dependencies: ["KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        // The Kubernetes API client: config (in-cluster, kubeconfig), list+watch per resource, the
        // combined cluster event stream. Does I/O.
        .target(name: "KubeClient", dependencies: [
            "KubeObjects", "SwitchyardCore",
            .product(name: "Yams", package: "Yams"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // An in-process Kubernetes API server (wire protocol, watch, faults) for tests and the bench. Does I/O.
        .target(name: "TestAPIServer", dependencies: [
            "KubeObjects",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: strict),
        // Per-node proxy state and all kube-proxy policy (endpoint selection, masquerade). Pure.
        .target(name: "Model", dependencies: [
            "KubeObjects", "SwitchyardCore",
            .product(name: "HashTreeCollections", package: "swift-collections"),
        ], swiftSettings: strict),
        // What changed between two proxy states. Pure.
        .target(name: "Diff", dependencies: ["Model", "SwitchyardCore"], swiftSettings: strict),
        // The renderer protocol and helpers shared by the backends. Pure.
        .target(name: "Render", dependencies: ["Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        .target(name: "RenderNftables", dependencies: ["Render", "Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        .target(name: "RenderIptables", dependencies: ["Render", "Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        .target(name: "RenderIPVS", dependencies: ["Render", "RenderIptables", "Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        // The applier protocol shared by the backends' I/O halves, and the report they return.
        .target(name: "Apply", dependencies: ["Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        // The sync engine: coalescing runner, tracker → diff → applier, status for health and metrics.
        .target(name: "Sync", dependencies: ["Apply", "Model", "Diff", "KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        // Prometheus metrics, /healthz and /livez, health-check node ports (HTTP on swift-nio). Does I/O.
        .target(name: "Observability", dependencies: [
            "Sync", "Apply", "Model", "Diff", "KubeObjects", "SwitchyardCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], swiftSettings: strict),
        // The nftables backend's I/O half: nft -f for full syncs, netlink element batches for deltas.
        // libnftables (libnftables-dev) for in-process nft transactions, plus setns().
        .systemLibrary(name: "CNftables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .target(name: "ApplyNftables", dependencies: ["CNftables", "Apply", "RenderNftables", "Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        // The iptables backend's I/O half: ipset restore + iptables-restore --noflush -w per family.
        .target(name: "ApplyIptables", dependencies: ["Apply", "RenderIptables", "Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        // Seeded synthetic clusters for benchmarks, the bench runner and property tests. Pure.
        .target(name: "Synthetic", dependencies: ["KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        // Real-traffic test cluster built from network namespaces (tests, demo, bench). Does I/O.
        .target(name: "TestCluster", dependencies: ["SwitchyardCore"], swiftSettings: strict),
        // Raw generic-netlink IPVS and rtnetlink (dummy interface) programming, batched. Does I/O.
        .target(name: "IPVSNetlink", dependencies: ["SwitchyardCore"], swiftSettings: strict),
        // The IPVS backend's I/O half: netlink IPVS + rtnetlink, ipset restore, iptables-restore, sysctls.
        .target(name: "ApplyIPVS", dependencies: ["Apply", "RenderIPVS", "IPVSNetlink", "Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        // Conntrack cleanup for connectionless service ports: a pure planner (StateDiff → deletions)
        // and a raw ctnetlink executor. Does I/O.
        .target(name: "Conntrack", dependencies: ["Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        // Removes what kube-proxy left on a node (iptables chains, nftables tables, ipsets, kube-ipvs0,
        // IPVS services) for a migration to Switchyard. Pure plans over tool output, plus the I/O to apply them.
        .target(name: "KubeProxyCleanup", dependencies: ["IPVSNetlink", "SwitchyardCore"], swiftSettings: strict),
        // The KubeProxyConfiguration file (kubeproxy.config.k8s.io/v1alpha1) and Go durations. Pure.
        .target(name: "ProxyConfig", dependencies: [
            "SwitchyardCore",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        // `switchyard bench`: cold sync, incremental latency and the tools' floor per backend and
        // cluster size, in throwaway namespaces; results.json, report.md, sync-latency.svg. Does I/O.
        .target(name: "Bench", dependencies: [
            "Apply", "ApplyNftables", "ApplyIptables", "Render", "RenderNftables", "RenderIptables",
            "Model", "Diff", "KubeObjects", "Synthetic", "SwitchyardCore",
            "ApplyIPVS", "RenderIPVS", "TestCluster", "Sync", "KubeClient", "TestAPIServer", "Watch",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // glibc's malloc_trim / mallopt / mallinfo2 for the daemon's memory (malloc.h; no library to link).
        .systemLibrary(name: "CMalloc"),
        // The command-line tool.
        .executableTarget(name: "switchyard", dependencies: [
            "Bench", "SwitchyardCore", "KubeObjects", "Watch", "Model", "Diff", "Render",
            "RenderNftables", "RenderIptables", "RenderIPVS", "Synthetic", "TestCluster", "Apply", "ApplyNftables", "ApplyIptables", "ApplyIPVS", "KubeProxyCleanup",
            "ProxyConfig", "Sync", "Observability", "KubeClient", "TestAPIServer", "Conntrack", "CMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        .testTarget(name: "ProxyConfigTests", dependencies: ["ProxyConfig", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "SwitchyardCoreTests", dependencies: ["SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "KubeObjectsTests", dependencies: ["KubeObjects", "Watch", "SwitchyardCore"],
                    resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "ModelTests", dependencies: ["Model", "KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "DiffTests", dependencies: ["Diff", "Model", "KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "SyncTests", dependencies: ["Sync", "Apply", "Model", "Diff", "KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability", "Sync", "Apply", "Model", "Diff", "KubeObjects", "SwitchyardCore", "Synthetic"], swiftSettings: strict),
        .testTarget(name: "ClusterTests", dependencies: ["TestCluster", "SwitchyardCore"], swiftSettings: strict),
        // Real traffic through `switchyard run --once` in a namespace cluster, per backend (root only).
        .testTarget(name: "TrafficTests", dependencies: ["TestCluster", "SwitchyardCore", "Conntrack", "Model", "Diff"], swiftSettings: strict),
        .testTarget(name: "SyntheticTests", dependencies: ["Synthetic", "KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["TestCluster"], swiftSettings: strict),
        .testTarget(name: "ApplyNftablesTests", dependencies: [
            "TestCluster",
            "ApplyNftables", "Apply", "RenderNftables", "Model", "Diff", "KubeObjects", "Synthetic", "SwitchyardCore",
        ], swiftSettings: strict),
        .testTarget(name: "ApplyIPVSTests", dependencies: [
            "ApplyIPVS", "Apply", "RenderIPVS", "IPVSNetlink", "TestCluster", "Model", "Diff", "KubeObjects", "SwitchyardCore",
        ], swiftSettings: strict),
        .testTarget(name: "ConntrackTests", dependencies: ["Conntrack", "Model", "Diff", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "IPVSNetlinkTests", dependencies: ["IPVSNetlink", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "ApplyIptablesTests", dependencies: [
            "TestCluster",
            "ApplyIptables", "Apply", "RenderIptables", "Model", "Diff", "KubeObjects", "Synthetic", "SwitchyardCore",
        ], swiftSettings: strict),
        .testTarget(name: "KubeClientTests", dependencies: [
            "KubeClient", "TestAPIServer", "KubeObjects", "SwitchyardCore",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "KubeProxyCleanupTests", dependencies: ["KubeProxyCleanup", "TestCluster", "SwitchyardCore"],
                    resources: [.copy("Fixtures")], swiftSettings: strict),
        // deploy/: every kustomize overlay builds and passes a strict schema check (kubectl, kubernetes-validate).
        .testTarget(name: "DeployTests", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "Apply", "Synthetic", "Model", "Diff", "KubeObjects", "SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "RenderTests", dependencies: [
            "TestCluster",
            "Render", "RenderNftables", "RenderIptables", "RenderIPVS", "Model", "Diff", "KubeObjects", "Watch", "SwitchyardCore",
        ], resources: [.copy("Golden")], swiftSettings: strict),
    ]
)
