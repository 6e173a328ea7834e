import Foundation
import TestCluster
import Testing

/// `switchyard run` (daemon) refuses bad configuration at start, naming the flag or config field.
/// Each case runs inside a throwaway namespace, so even a regression that got as far as applying
/// rules could not touch the host.
@Suite(.serialized, .enabled(if: canUseNamespaces, "needs root and iproute2"))
struct RunConfigTests {
    static let cases: [(args: [String], config: String?, expected: String)] = [
        (["--manifests", "/dev/null"], "nftables: {syncPeriod: 30}", "field \"nftables.syncPeriod\""),
        (["--manifests", "/dev/null"], "mode: kernelspace\nsurprise: 1", "field \"mode\""),
        (["--manifests", "/dev/null"], "detectLocalMode: NodeCIDR", "NodeCIDR is not supported"),
        (["--manifests", "/dev/null"], "apiVersion: kubeproxy.config.k8s.io/v1beta9", "field \"apiVersion\""),
        (["--manifests", "/dev/null", "--sync-period", "30"], nil, "--sync-period"),
        (["--manifests", "/dev/null", "--min-sync-period", "-1s"], nil, "--min-sync-period"),
        (["--manifests", "/dev/null", "--healthz-bind-address", "localhost:10256"], nil, "--healthz-bind-address"),
        (["--manifests", "/dev/null", "--metrics-bind-address", "127.0.0.1:http"], nil, "--metrics-bind-address"),
        (["--manifests", "/dev/null", "--log-level", "loud"], nil, "--log-level"),
        (["--manifests", "/dev/null", "--master", "not a url"], nil, "--master"),
        ([], nil, "no object source"),
        (["--kubeconfig", "/nonexistent/sy-kubeconfig"], nil, "/nonexistent/sy-kubeconfig"),
    ]

    @Test("bad flags and config fields fail the start with a clear message", arguments: 0..<cases.count)
    func rejected(index: Int) throws {
        let c = Self.cases[index]
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let ns = try ThrowawayNamespace()
        defer { ns.remove() }
        var args = ["run", "--node", "node-a"] + c.args
        if let config = c.config { args += ["--config", try dir.write("config.yaml", config)] }
        let r = try ns.run(["env", "-u", "KUBERNETES_SERVICE_HOST", try SwitchyardExecutable.locate()] + args)
        #expect(r.status != 0, "\(args) started: \(r.stderr)")
        #expect(r.stderr.contains(c.expected), "\(args): \(r.stderr)")
    }
}
