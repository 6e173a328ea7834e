import ApplyNftables
import Benchmark
import KubeObjects
import Model
import RenderNftables

// Benchmarks of the pure pipeline at 10,000 services × 10 endpoints. Names are stable: the
// static thresholds in Benchmarks/Thresholds are keyed by them (`Pipeline.<name>.p90.json`).
// Names use only letters, digits and `_`: package-benchmark writes threshold files under a
// shell-safe version of the name but looks them up under the name itself.
//
// Targets (2 cores, release): build state + full render ≤ 200 ms per backend; diff + incremental
// render of one changed endpoint ≤ 1 ms per backend; state memory ≤ 100 MB.

let benchmarks: @Sendable () -> Void = {
    // Wall clock and CPU may regress 25 % at p90 before a check fails (the machine is shared
    // and noisy); allocation counts of the whole-cluster benchmarks are deterministic: 5 %.
    let timeTolerance = BenchmarkThresholds(relative: [.p90: 25.0])
    let countTolerance = BenchmarkThresholds(relative: [.p90: 5.0])
    let tolerances: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: timeTolerance, .cpuTotal: timeTolerance, .mallocCountTotal: countTolerance,
    ]
    let heavy = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResidentDelta],
        timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(5), maxIterations: 10,
        thresholds: tolerances)
    // Incremental samples are different changes, and how many run depends on time: more slack.
    let lightTolerances: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: timeTolerance, .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 20.0]),
    ]
    let light = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], // CPU time has 10 ms resolution: useless here
        timeUnits: .microseconds, warmupIterations: 5, maxDuration: .seconds(3), maxIterations: 1_000,
        thresholds: lightTolerances)

    // Decoding the `kubectl get -o json` style List of the whole cluster.
    Benchmark("Decode_10k_JSON", configuration: heavy) { benchmark in
        let data = fixture.json
        benchmark.startMeasurement()
        let result = ManifestDecoder.decode(data, source: "bench.json")
        benchmark.stopMeasurement()
        precondition(result.objects.count == fixture.objects.count, "decode lost objects")
        blackHole(result)
    }

    // Every object applied to an empty tracker, then one commit.
    Benchmark("Build_state", configuration: heavy) { benchmark in
        var tracker = ProxyStateTracker(config: fixture.config)
        tracker.apply(fixture.events)
        let changes = tracker.commit()
        blackHole(changes.state.services.count)
    }

    // The memory the built state (tracker + committed ProxyState) keeps: bytes allocated while
    // building and still allocated afterwards.
    let keeper = TrackerBox(changes: [])
    Benchmark("State_memory", configuration: .init(
        metrics: [.memoryLeakedBytes, .peakMemoryResidentDelta], warmupIterations: 0, maxIterations: 1,
        // Resident memory moves in pages and with the allocator's arenas: 5 %, not exact.
        thresholds: [.memoryLeakedBytes: countTolerance, .peakMemoryResidentDelta: countTolerance])) { _ in
        keeper.tracker = nil
        keeper.tracker = fixture.committedTracker()
    }

    for backend in Backend.allCases {
        // The whole ruleset for a first sync.
        Benchmark("Full_render_\(backend.rawValue)", configuration: heavy) { _ in
            blackHole(backend.renderFull(builtState))
        }

        if backend == .nftables {
            // The full render as one `nft -f` script (dry-run output and the applier's fallback).
            Benchmark("Full_render_text_nftables", configuration: heavy) { _ in
                blackHole(Backend.nftablesText(builtState))
            }
            // A full sync's element encoding (load plan + netlink messages) of a rendered transaction.
            let rendered = NftablesRenderer().renderFull(builtState).transaction
            Benchmark("Element_encode_nftables", configuration: heavy) { benchmark in
                benchmark.startMeasurement()
                let bytes = NftFullLoadEncoding.encodedBytes(rendered)
                benchmark.stopMeasurement()
                precondition(bytes != nil, "an element without encoding")
                blackHole(bytes)
            }
        }

        // What a restart costs: build the state, then render in full.
        Benchmark("Build_state_and_full_render_\(backend.rawValue)", configuration: heavy) { _ in
            var tracker = ProxyStateTracker(config: fixture.config)
            tracker.apply(fixture.events)
            blackHole(backend.renderFull(tracker.commit().state))
        }

        // One endpoint of one slice replaced: apply, commit, diff, incremental render.
        let endpointBox = TrackerBox(changes: fixture.changes(.endpointChange))
        Benchmark("Endpoint_change_\(backend.rawValue)", configuration: light) { benchmark in
            endpointBox.prepared(backend)
            let events = endpointBox.nextChange()
            benchmark.startMeasurement()
            blackHole(sync(events, box: endpointBox, backend: backend))
            benchmark.stopMeasurement()
        }

        // A new service with its slices; removed again outside the measurement so size stays 10k.
        let addBox = TrackerBox(changes: fixture.changes(.serviceAdd))
        Benchmark("Service_add_\(backend.rawValue)", configuration: light) { benchmark in
            addBox.prepared(backend)
            let events = addBox.nextChange()
            benchmark.startMeasurement()
            blackHole(sync(events, box: addBox, backend: backend))
            benchmark.stopMeasurement()
            // Rendered too, so the renderers follow the state as a running proxy's do.
            blackHole(sync(deletions(of: events), box: addBox, backend: backend))
        }

        // The same service removed (its cluster IP and endpoints may be shared, so each backend
        // checks what is still used); added again outside the measurement.
        let removeBox = TrackerBox(changes: fixture.changes(.serviceAdd))
        Benchmark("Service_remove_\(backend.rawValue)", configuration: light) { benchmark in
            removeBox.prepared(backend)
            let events = removeBox.nextChange()
            blackHole(sync(events, box: removeBox, backend: backend))
            benchmark.startMeasurement()
            blackHole(sync(deletions(of: events), box: removeBox, backend: backend))
            benchmark.stopMeasurement()
        }
    }
}
