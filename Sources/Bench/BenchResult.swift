import Foundation
import SwitchyardCore
/// What the bench measured for one backend at one cluster size. Nil means not measured (it is
/// written as JSON null, never guessed). Times are seconds.
public struct BenchResult: Hashable, Sendable {
    public var backend: String
    public var services: Int
    public var endpointsPerService: Int
    /// Model (tracker apply + commit) plus the applier's full sync (render + kernel).
    public var coldSyncSeconds: Double?
    /// The model step alone.
    public var modelSeconds: Double?
    /// Rendering the full state alone.
    public var renderSeconds: Double?
    /// The applier's tool/kernel time for the full sync (`ApplyReport.kernelSeconds`).
    public var applySeconds: Double?
    /// The same full text fed straight to the tools in a fresh namespace.
    public var kernelFloorColdSeconds: Double?
    public var endpointChangeP50: Double?
    public var endpointChangeP99: Double?
    public var serviceAddP50: Double?
    public var serviceAddP99: Double?
    public var serviceRemoveP50: Double?
    public var serviceRemoveP99: Double?
    /// Median of the endpoint-change delta text fed straight to the tools.
    public var kernelFloorChangeSeconds: Double?
    /// Network-programming latency through the test API server: p99 of API write → rule in kernel.
    public var nplP99: Double?
    /// The proxy's own peak resident set: VmHWM of the `switchyard run` daemon of the
    /// network-programming-latency step (nil when that step did not run or failed).
    public var rssPeakBytes: Int?
    /// The daemon's resident high-water mark right after its initial full sync.
    public var rssAfterInitialSyncBytes: Int?
    /// Peak resident set of the whole bench process so far (getrusage ru_maxrss): it holds the test
    /// API server's copy of the cluster and the synthetic cluster too, and grows across rows.
    public var benchProcessRSSPeakBytes: Int?
    /// TCP connect latency of new connections to ClusterIPs through the programmed rules
    /// (client namespace → proxy namespace → backend namespace), nearest-rank over the probes.
    public var firstPacketP50: Double?
    public var firstPacketP99: Double?
    /// Answered first-packet probes the percentiles are taken over.
    public var firstPacketSamples: Int?
    /// Highest sustained-churn rate (changes/s) whose p99 stayed under the bound; 0 when even the
    /// lowest rate tried did not.
    public var churnHeldPerSecond: Int?
    /// p99 latency at `churnHeldPerSecond`.
    public var churnP99AtHeld: Double?
    /// The first rate that was not held (nil when every rate tried was held).
    public var churnMissedPerSecond: Int?
    /// p99 latency at `churnMissedPerSecond`.
    public var churnP99AtMissed: Double?
    /// Median network-programming latency through the test API server.
    public var nplP50: Double?
    /// Network-programming latency of the change written right after the daemon's initial sync.
    public var nplFirstAfterInitialSync: Double?
    /// Where the cluster came from: `synthetic` or `manifests:<path>`.
    public var source: String?
    /// Where the row was measured when not on the host kernel (IPVS: `UML guest (1 CPU)`).
    public var host: String?
    /// Rules and set/map elements the full sync wrote (`ApplyReport`).
    public var rules: Int?
    public var elements: Int?
    /// Bytes of the full rendered text.
    public var fullTextBytes: Int?
    /// `debug` or `release`: how the bench binary was compiled (debug slows model and render).
    public var build: String?
    /// Why this row is incomplete, when a step failed.
    public var error: String?

    public init(backend: String, services: Int, endpointsPerService: Int) {
        self.backend = backend; self.services = services; self.endpointsPerService = endpointsPerService
    }

    /// JSON keys in output order with their values; the first fifteen are the documented contract.
    var fields: [(String, JSONValue)] {
        [("backend", .string(backend)), ("services", .int(services)), ("endpoints_per_service", .int(endpointsPerService)),
         ("cold_sync_s", .number(coldSyncSeconds)), ("render_s", .number(renderSeconds)), ("apply_s", .number(applySeconds)),
         ("kernel_floor_cold_s", .number(kernelFloorColdSeconds)),
         ("endpoint_change_p50_s", .number(endpointChangeP50)), ("endpoint_change_p99_s", .number(endpointChangeP99)),
         ("service_add_p99_s", .number(serviceAddP99)), ("kernel_floor_change_s", .number(kernelFloorChangeSeconds)),
         ("npl_p99_s", .number(nplP99)), ("rss_peak_bytes", .int(rssPeakBytes)),
         ("first_packet_p50_s", .number(firstPacketP50)), ("first_packet_p99_s", .number(firstPacketP99)),
         ("model_s", .number(modelSeconds)), ("service_add_p50_s", .number(serviceAddP50)),
         ("service_remove_p50_s", .number(serviceRemoveP50)), ("service_remove_p99_s", .number(serviceRemoveP99)),
         ("first_packet_samples", .int(firstPacketSamples)),
         ("churn_held_per_s", .int(churnHeldPerSecond)), ("churn_p99_at_held_s", .number(churnP99AtHeld)),
         ("churn_missed_per_s", .int(churnMissedPerSecond)), ("churn_p99_at_missed_s", .number(churnP99AtMissed)),
         ("npl_p50_s", .number(nplP50)), ("npl_first_after_initial_sync_s", .number(nplFirstAfterInitialSync)),
         ("rss_after_initial_sync_bytes", .int(rssAfterInitialSyncBytes)),
         ("bench_process_rss_peak_bytes", .int(benchProcessRSSPeakBytes)),
         ("rules", .int(rules)), ("elements", .int(elements)), ("full_text_bytes", .int(fullTextBytes)),
         ("build", build.map(JSONValue.string) ?? .null), ("source", source.map(JSONValue.string) ?? .null),
         ("host", host.map(JSONValue.string) ?? .null),
         ("error", error.map(JSONValue.string) ?? .null)]
    }

    /// Reads back one object of `results.json` (as written by `fields`); nil without backend/services.
    init?(json o: [String: Any]) {
        guard let backend = o["backend"] as? String, let services = o["services"] as? Int else { return nil }
        self.init(backend: backend, services: services, endpointsPerService: o["endpoints_per_service"] as? Int ?? 0)
        func d(_ k: String) -> Double? { (o[k] as? NSNumber)?.doubleValue }
        func i(_ k: String) -> Int? { (o[k] as? NSNumber)?.intValue }
        func s(_ k: String) -> String? { o[k] as? String }
        coldSyncSeconds = d("cold_sync_s"); modelSeconds = d("model_s"); renderSeconds = d("render_s"); applySeconds = d("apply_s")
        kernelFloorColdSeconds = d("kernel_floor_cold_s")
        endpointChangeP50 = d("endpoint_change_p50_s"); endpointChangeP99 = d("endpoint_change_p99_s")
        serviceAddP50 = d("service_add_p50_s"); serviceAddP99 = d("service_add_p99_s")
        serviceRemoveP50 = d("service_remove_p50_s"); serviceRemoveP99 = d("service_remove_p99_s")
        kernelFloorChangeSeconds = d("kernel_floor_change_s")
        nplP50 = d("npl_p50_s"); nplP99 = d("npl_p99_s"); nplFirstAfterInitialSync = d("npl_first_after_initial_sync_s"); rssPeakBytes = i("rss_peak_bytes")
        rssAfterInitialSyncBytes = i("rss_after_initial_sync_bytes"); benchProcessRSSPeakBytes = i("bench_process_rss_peak_bytes")
        firstPacketP50 = d("first_packet_p50_s"); firstPacketP99 = d("first_packet_p99_s"); firstPacketSamples = i("first_packet_samples")
        churnHeldPerSecond = i("churn_held_per_s"); churnP99AtHeld = d("churn_p99_at_held_s")
        churnMissedPerSecond = i("churn_missed_per_s"); churnP99AtMissed = d("churn_p99_at_missed_s")
        rules = i("rules"); elements = i("elements"); fullTextBytes = i("full_text_bytes")
        build = s("build"); source = s("source"); host = s("host"); error = s("error")
    }

    /// The keys every result object carries (the documented contract).
    public static let requiredKeys = ["backend", "services", "endpoints_per_service", "cold_sync_s", "render_s", "apply_s",
                                      "kernel_floor_cold_s", "endpoint_change_p50_s", "endpoint_change_p99_s",
                                      "service_add_p99_s", "kernel_floor_change_s", "npl_p99_s", "rss_peak_bytes",
                                      "first_packet_p50_s", "first_packet_p99_s"]
}

/// A JSON scalar as the bench writes it.
enum JSONValue: Hashable, Sendable {
    case string(String)
    case int(Int?)
    case number(Double?)
    case null

    var encoded: String {
        switch self {
        case .string(let s): return JSONText.string(s)
        case .int(let i): return i.map(String.init) ?? "null"
        case .null: return "null"
        case .number(let d):
            guard let d, d.isFinite else { return "null" }
            return "\(d)"
        }
    }

}
