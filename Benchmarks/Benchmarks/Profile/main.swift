// A plain loop over the pure pipeline's whole-cluster steps at 10,000 services × 10 endpoints,
// for profilers (`perf record -g .build/release/PipelineProfile iptables 20`) and quick wall-clock
// figures without package-benchmark's harness. Not a benchmark of record: `scripts/bench-micro` is.
//
//   PipelineProfile [nftables|iptables|ipvs|state|decode] [iterations]
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
func ms(_ from: UInt64, _ to: UInt64) -> String { String(format: "%.1f", Double(to - from) / 1e6) }

var checksum = 0
for i in 0..<iterations {
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
    let state = tracker.commit().state
    let t2 = now()
    var size = 0
    switch what {
    case "iptables": size = IptablesRenderer().renderFull(state).text.utf8.count
    case "nftables": size = NftablesRenderer().renderFull(state).text.utf8.count
    case "ipvs": size = IPVSRenderer().renderFull(state).text.utf8.count
    default: break
    }
    let t3 = now()
    checksum &+= size &+ state.services.count
    print("iteration \(i): apply \(ms(t0, t1)) ms, commit \(ms(t1, t2)) ms, render \(ms(t2, t3)) ms, total \(ms(t0, t3)) ms (\(size) bytes)")
}
print("checksum \(checksum)")
