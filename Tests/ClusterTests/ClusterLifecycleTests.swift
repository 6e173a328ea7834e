import Foundation
import SwitchyardCore
import TestCluster
import Testing

/// Creating and removing namespaces (root only).
@Suite(.enabled(if: TestCluster.isSupported(), "needs root and iproute2"))
struct ClusterLifecycleTests {
    struct Boom: Error {}

    func remaining(_ prefix: String) -> [String] {
        TestCluster.listNamespaces().filter { $0.hasPrefix(prefix) }
    }

    @Test("teardown removes every namespace and stops spawned processes")
    func teardownRemovesEverything() throws {
        let cluster = try TestCluster.create()
        #expect(remaining(cluster.prefix).sorted() == cluster.namespaces.map(\.name).sorted())
        let server = try cluster.startEchoServer(in: cluster.pods[0], tcp: [80])
        #expect(server.isRunning)
        cluster.teardown()
        #expect(!server.isRunning)
        #expect(remaining(cluster.prefix).isEmpty)
        cluster.teardown()  // idempotent
    }

    @Test("withTestCluster tears down when the body throws")
    func teardownAfterThrow() throws {
        var prefix = ""
        #expect(throws: Boom.self) {
            try withTestCluster { cluster in
                prefix = cluster.prefix
                try cluster.startEchoServer(in: cluster.pods[1], udp: [53])
                throw Boom()
            }
        }
        #expect(!prefix.isEmpty)
        #expect(remaining(prefix).isEmpty)
    }

    @Test("async withTestCluster tears down when the body throws")
    func asyncTeardownAfterThrow() async throws {
        var prefix = ""
        await #expect(throws: Boom.self) {
            try await withTestCluster { cluster in
                prefix = cluster.prefix
                await Task.yield()
                throw Boom()
            }
        }
        #expect(remaining(prefix).isEmpty)
    }

    @Test("a failed create removes what it made and leaves foreign namespaces alone")
    func failedCreateCleansUp() throws {
        let prefix = TestCluster.uniquePrefix()
        let squatter = prefix + "client"
        try ProcessRunner.run(["ip", "netns", "add", squatter]).check()
        defer { TestCluster.removeLeftovers(prefix: prefix) }
        #expect(throws: TestClusterError.self) { try TestCluster.create(TestClusterSpec(namePrefix: prefix)) }
        #expect(remaining(prefix) == [squatter])
    }

    @Test("removeLeftovers deletes namespaces by prefix; removeStaleClusters only those of dead processes")
    func leftovers() throws {
        let dead = try ProcessRunner.run(["sh", "-c", "echo $$"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let stale = "sy\(dead)x1-node-a", live = TestCluster.uniquePrefix() + "node-a"
        for name in [stale, live] { try ProcessRunner.run(["ip", "netns", "add", name]).check() }
        defer { for name in [stale, live] { _ = try? ProcessRunner.run(["ip", "netns", "del", name]) } }
        let removed = TestCluster.removeStaleClusters()
        #expect(removed.contains(stale))
        #expect(!removed.contains(live))
        #expect(TestCluster.listNamespaces().contains(live))
        #expect(TestCluster.removeLeftovers(prefix: String(live.dropLast("node-a".count))) == [live])
        #expect(!TestCluster.listNamespaces().contains(live))
    }
}
