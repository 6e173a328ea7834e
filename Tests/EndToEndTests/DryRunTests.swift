import Foundation
import Testing
import TestCluster

/// `switchyard dry-run` end to end: the embedded example through every backend, checked by the real tools.
@Suite(.serialized) struct DryRunTests {
    static let backends = ["nftables", "iptables", "ipvs"]

    @Test(arguments: backends)
    func exampleRendersWithoutDiagnostics(backend: String) throws {
        let r = try switchyard(["dry-run", "--backend", backend, "--node", "node-a", "--cluster-cidr", "10.244.0.0/16"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("skipped"), "\(r.stderr)")
        #expect(r.stderr.contains("10 service ports"))
        // Every ClusterIP of the example is programmed.
        for ip in ["10.96.0.10", "10.96.0.53", "10.96.0.20", "10.96.0.30", "10.96.0.40", "10.96.0.70", "fd00:10:96::70"] {
            #expect(r.stdout.contains(ip), "\(backend) output lacks \(ip)")
        }
    }

    @Test func jsonFormatIsJSON() throws {
        for backend in Self.backends {
            let r = try switchyard(["dry-run", "--backend", backend, "--node", "node-a", "--format", "json"])
            #expect(r.status == 0)
            let parsed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
            #expect(parsed is [String: Any], "\(backend) JSON is not an object")
        }
    }

    @Test func badFlagsAreClearErrors() throws {
        let cidr = try switchyard(["dry-run", "--cluster-cidr", "10.244.0.0/99"])
        #expect(cidr.status != 0)
        #expect(cidr.stderr.contains("--cluster-cidr"))
        let missing = try switchyard(["dry-run", "--manifests", "/nonexistent/sy-manifests"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/sy-manifests"))
        let backend = try switchyard(["dry-run", "--backend", "pf"])
        #expect(backend.status != 0)
    }

    @Test(arguments: backends)
    func realToolsAcceptTheExample(backend: String) throws {
        try #require(canUseNamespaces, "needs root and iproute2")
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let r = try switchyard(["dry-run", "--backend", backend, "--node", "node-a", "--cluster-cidr", "10.244.0.0/16",
                                "--output-dir", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        try checkWithRealTools(dir: dir, backend: backend)
    }
}

/// Feeds each rendered piece to the tool that consumes it, inside a throwaway namespace.
func checkWithRealTools(dir: ScratchDirectory, backend: String) throws {
    let ns = try ThrowawayNamespace()
    defer { ns.remove() }
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    switch backend {
    case "nftables":
        let check = try ns.run(["nft", "-c", "-f", dir.path + "/nft.txt"])
        #expect(check.status == 0, "nft -c: \(check.stderr)")
        let apply = try ns.run(["nft", "-f", dir.path + "/nft.txt"])
        #expect(apply.status == 0, "nft -f: \(apply.stderr)")
    default:
        // ipsets first: the iptables rules reference them.
        for f in files where f.hasPrefix("ipset") {
            let r = try ns.run(["ipset", "restore"], input: try dir.read(f))
            #expect(r.status == 0, "ipset restore \(f): \(r.stderr)")
        }
        for f in files where f.hasPrefix("iptables-restore") || f.hasPrefix("ip6tables-restore") {
            let tool = f.hasPrefix("ip6") ? "ip6tables-restore" : "iptables-restore"
            let test = try ns.run([tool, "--test", "--noflush"], input: try dir.read(f))
            #expect(test.status == 0, "\(tool) --test \(f): \(test.stderr)")
            let apply = try ns.run([tool, "--noflush"], input: try dir.read(f))
            #expect(apply.status == 0, "\(tool) \(f): \(apply.stderr)")
        }
    }
}
