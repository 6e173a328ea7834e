import Model
import Render
import RenderIPVS
import RenderIptables
import RenderNftables

/// Maps a backend name to its renderer, so commands stay backend-neutral.
enum Backends {
    /// A full rendering of `state` for `backend` (what `dry-run` prints).
    static func renderFull(_ backend: BackendName, state: ProxyState) -> any RenderedOutput {
        switch backend {
        case .nftables: return NftablesRenderer().renderFull(state)
        case .iptables: return IptablesRenderer().renderFull(state)
        case .ipvs: return IPVSRenderer().renderFull(state)
        }
    }
}
