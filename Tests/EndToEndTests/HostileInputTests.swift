import Foundation
import Testing
import TestCluster

/// Hostile manifests through the whole pipeline: skipped with one stderr line each, nothing injected,
/// the valid service still rendered, and the real tools still accept the output.
@Suite(.serialized) struct HostileInputTests {
    @Test(arguments: DryRunTests.backends)
    func hostileObjectsAreSkippedAndNeverReachARule(backend: String) throws {
        let dir = try ScratchDirectory()
        defer { dir.remove() }
        let manifest = try dir.write("hostile.yaml", HostileCorpus.yaml)
        let out = dir.path + "/out"
        let r = try switchyard(["dry-run", "--backend", backend, "--node", "node-a", "--cluster-cidr", "10.244.0.0/16",
                                "--manifests", manifest, "--output-dir", out])
        #expect(r.status == 0, "\(r.stderr)")

        // Nothing hostile reaches a rule, in any form.
        #expect(!r.stdout.contains(HostileCorpus.marker))
        #expect(!r.stdout.contains("flush ruleset"))
        // The valid service is still rendered, with only its valid endpoint.
        #expect(r.stdout.contains("10.96.5.5"))
        #expect(r.stdout.contains("10.244.1.78"))
        #expect(!r.stdout.contains("10.244.1.99"), "the slice with a bad name must be skipped")
        // None of the rejected services is programmed.
        for ip in ["10.96.5.1", "10.96.5.2", "10.96.5.3", "10.96.5.4", "10.96.5.9 ", "10.96.5.11", "10.96.5.12", "10.96.5.13", "10.96.5.15"] {
            #expect(!r.stdout.contains(ip), "\(backend): rejected service \(ip) was rendered")
        }

        // One diagnostic line per skipped object, naming it; every line is a single line.
        let lines = r.stderr.split(separator: "\n").map(String.init)
        for name in HostileCorpus.skippedServices {
            let hits = lines.filter { $0.hasPrefix("skipped Service evil/\(name):") }
            #expect(hits.count == 1, "\(name): \(hits)")
        }
        #expect(lines.contains { $0.hasPrefix("skipped Service evil/web\\\"") || $0.hasPrefix("skipped Service evil/web\"") })
        #expect(lines.contains { $0.hasPrefix("skipped Service evil/a\\u{a}PWN3") })
        #expect(lines.contains { $0.contains("10.244.1.77") || $0.contains("endpoints[0]") })
        for line in lines { #expect(line.count < 600) }

        if canUseNamespaces { try checkWithRealTools(dir: try ScratchDirectoryView(path: out).directory, backend: backend) }
    }
}

/// Wraps an existing directory (owned by another ScratchDirectory) for `checkWithRealTools`.
struct ScratchDirectoryView {
    let path: String
    var directory: ScratchDirectory { get throws { try ScratchDirectory(existing: path) } }
}

extension ScratchDirectory {
    init(existing path: String) throws { self.path = path }
}
