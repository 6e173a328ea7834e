import Apply
import Diff
import Foundation
import Model
import Synthetic

/// Sustained churn: a stream of mixed changes (80 % endpoint changes, 10 % service adds, 10 %
/// removes) arriving at a fixed rate, applied by a coalescing loop like the daemon's sync engine
/// with `minSyncPeriod` 0 (every change that arrived while a sync ran goes into the next sync).
/// Each change's latency is from its scheduled arrival until the sync that carried it returned.
/// The rate is stepped up until p99 exceeds `bound`.
struct SustainedChurn: Sendable {
    /// Rates tried, changes per second, ascending.
    let rates: [Int]
    /// Length of each rate step.
    let seconds: Double
    /// The p99 latency a rate must stay under to count as held.
    let bound: Double

    static let defaultRates = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

    /// One rate step's outcome.
    struct Step: Hashable, Sendable {
        var rate: Int
        var p99: Double
        var changes: Int
        var syncs: Int
        var held: Bool
    }

    /// Runs the ramp; stops after the first step that is not held.
    func run(tracker: inout ProxyStateTracker, churn: inout any ChangeStream, applier: any ProxyApplier) async throws -> [Step] {
        var steps: [Step] = []
        for rate in rates {
            let step = try await runStep(rate: rate, tracker: &tracker, churn: &churn, applier: applier)
            steps.append(step)
            if !step.held { break }
        }
        return steps
    }

    private func runStep(rate: Int, tracker: inout ProxyStateTracker, churn: inout any ChangeStream,
                         applier: any ProxyApplier) async throws -> Step {
        let total = max(1, Int(Double(rate) * seconds))
        let interval = Duration.seconds(1.0 / Double(rate))
        let start = ContinuousClock.now
        // A step that falls this far behind cannot hold the rate; stop feeding it.
        let giveUp = start + .seconds(seconds * 3 + 1)
        var next = 0, syncs = 0
        var pending: [ContinuousClock.Instant] = []
        var latencies: [Double] = []
        while next < total || !pending.isEmpty {
            let now = ContinuousClock.now
            while next < total, start + interval * next <= now {
                _ = tracker.apply(churn.nextChange())
                pending.append(start + interval * next)
                next += 1
            }
            if pending.isEmpty {
                try await Task.sleep(until: start + interval * next, clock: .continuous)
                continue
            }
            let ch = tracker.commit()
            let diff = StateDiff.between(old: ch.previous, new: ch.state, services: ch.changedServices, nodeChanged: ch.nodeChanged)
            if diff.requiresFullSync { _ = try await applier.applyFull(ch.state) } else { _ = try await applier.applyIncremental(diff, state: ch.state) }
            syncs += 1
            let done = ContinuousClock.now
            latencies += pending.map { (done - $0).seconds }
            pending.removeAll(keepingCapacity: true)
            if done > giveUp { break }
        }
        let p99 = Percentile.of(latencies, 99) ?? .infinity
        let held = next == total && p99 <= bound
        return Step(rate: rate, p99: p99, changes: latencies.count, syncs: syncs, held: held)
    }
}
