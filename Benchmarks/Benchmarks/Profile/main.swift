// A plain loop over the pure pipeline's whole-cluster steps at 10,000 services × 10 endpoints,
// for profilers (`perf record -g .build/release/PipelineProfile iptables 20`) and quick wall-clock
// figures without package-benchmark's harness. Not a benchmark of record: `scripts/bench-micro` is.
//
//   PipelineProfile [nftables|iptables|ipvs|state|decode] [iterations]
//   PipelineProfile render-nftables|render-iptables|render-ipvs [iterations]   (the state is built once)
//
// With SY_PROFILE_DUMP=FILE the last rendering's text is written to FILE (to compare outputs
// of two builds byte for byte).
import Dispatch
import Foundation
import KubeObjects
import Model
import RenderIPVS
import RenderIptables
import RenderNftables
import SwitchyardCore
import Synthetic

let args = CommandLine.arguments
let what = args.count > 1 ? args[1] : "iptables"
let iterations = args.count > 2 ? Int(args[2]) ?? 10 : 10

let cluster = SyntheticCluster(seed: 20_240_601, services: 10_000, endpointsPerService: 10)
let objects = cluster.objects()
let events = objects.map { ObjectEvent.upsert($0) }
let config = NodeConfig(nodeName: cluster.nodeName,
                        clusterCIDRs: [SyntheticCluster.clusterCIDR, SyntheticCluster.clusterCIDRv6].compactMap { CIDR($0) })
let json = what == "decode" ? ((try? ManifestWriter.json(objects)) ?? Data()) : Data()

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
/// CPU time of the calling thread and of the whole process, in nanoseconds: under load, these
/// say more than wall clock (main-thread CPU ≈ the sequential part plus its share of the rest).
func cpu(_ clock: clockid_t) -> UInt64 {
    var t = timespec()
    clock_gettime(clock, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}
func cpuTimes() -> (thread: UInt64, process: UInt64) { (cpu(CLOCK_THREAD_CPUTIME_ID), cpu(CLOCK_PROCESS_CPUTIME_ID)) }
func cpuText(_ a: (thread: UInt64, process: UInt64), _ b: (thread: UInt64, process: UInt64)) -> String {
    "cpu main \(ms(a.thread, b.thread)) ms, all \(ms(a.process, b.process)) ms"
}
func ms(_ from: UInt64, _ to: UInt64) -> String { String(format: "%.1f", Double(to - from) / 1e6) }

var checksum = 0
var lastText = ""
if what.hasPrefix("render-") {
    var tracker = ProxyStateTracker(config: config)
    tracker.apply(events)
    let state = tracker.commit().state
    for i in 0..<iterations {
        let c0 = cpuTimes()
        let t0 = now()
        let text: String
        let t1: UInt64
        let c1: (thread: UInt64, process: UInt64)
        if what == "render-ipvs" {
            // The IPVS full render in its parts: the plan index (plan + counts), the text, the frees.
            var index: IPVSPlanIndex? = IPVSPlanIndex(state: state)
            let ti = now()
            let ci = cpuTimes()
            let planText = index!.plan.text
            let tt = now()
            let ct = cpuTimes()
            index = nil
            let tf = now()
            checksum &+= planText.utf8.count
            print("iteration \(i): index \(ms(t0, ti)) ms (\(cpuText(c0, ci))), text \(ms(ti, tt)) ms (\(cpuText(ci, ct))), free \(ms(tt, tf)) ms")
            continue
        }
        if what == "render-nftables" {
            let output = NftablesRenderer().renderFull(state)
            t1 = now()
            c1 = cpuTimes()
            text = output.text
        } else {
            let output = IptablesRenderer().renderFull(state)
            t1 = now()
            c1 = cpuTimes()
            text = output.text
        }
        let t2 = now()
        checksum &+= text.utf8.count
        lastText = text
        print("iteration \(i): render \(ms(t0, t1)) ms (\(cpuText(c0, c1))), text \(ms(t1, t2)) ms (\(text.utf8.count) bytes)")
    }
}
for i in 0..<(what.hasPrefix("render-") ? 0 : iterations) {
    let c0 = cpuTimes()
    let t0 = now()
    if what == "decode" {
        let r = ManifestDecoder.decode(json, source: "profile.json")
        checksum &+= r.objects.count
        print("iteration \(i): decode \(ms(t0, now())) ms")
        continue
    }
    var tracker = ProxyStateTracker(config: config)
    tracker.apply(events)
    let t1 = now()
    let c1 = cpuTimes()
    let state = tracker.commit().state
    let t2 = now()
    let c2 = cpuTimes()
    var size = 0
    switch what {
    case "iptables": lastText = IptablesRenderer().renderFull(state).text; size = lastText.utf8.count
    case "nftables": lastText = NftablesRenderer().renderFull(state).text; size = lastText.utf8.count
    case "ipvs": lastText = IPVSRenderer().renderFull(state).text; size = lastText.utf8.count
    default: break
    }
    let t3 = now()
    let c3 = cpuTimes()
    checksum &+= size &+ state.services.count
    print("iteration \(i): apply \(ms(t0, t1)) ms, commit \(ms(t1, t2)) ms, render \(ms(t2, t3)) ms, total \(ms(t0, t3)) ms (\(size) bytes)")
    print("  apply \(cpuText(c0, c1)); commit \(cpuText(c1, c2)); render \(cpuText(c2, c3))")
}
print("checksum \(checksum)")
if let path = ProcessInfo.processInfo.environment["SY_PROFILE_DUMP"] {
    try? lastText.write(toFile: path, atomically: true, encoding: .utf8)
}
