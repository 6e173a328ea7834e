// swift-tools-version:6.1
// Micro-benchmarks of Switchyard's pure pipeline (decode → state → diff → render) at
// 10,000 services × 10 endpoints. A separate package so the main build and CI never pay for
// package-benchmark. Run with `scripts/bench-micro` from the repository root.
import PackageDescription

let package = Package(
    name: "SwitchyardBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: "switchyard"), // a symlink to "..": the dependency's identity is its directory name
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Pipeline",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchyardPipeline", package: "switchyard"),
            ],
            path: "Benchmarks/Pipeline",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // A plain loop over the same steps, for profilers (`perf record`) and quick wall-clock
        // figures: `swift build -c release --product PipelineProfile` in Benchmarks/.
        .executableTarget(
            name: "PipelineProfile",
            dependencies: [.product(name: "SwitchyardPipeline", package: "switchyard")],
            path: "Benchmarks/Profile",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
