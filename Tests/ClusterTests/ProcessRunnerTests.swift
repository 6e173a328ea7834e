import TestCluster
import Testing

/// Running programs (no root needed).
struct ProcessRunnerTests {
    @Test("status, stdout and stderr are captured separately; input is fed")
    func capture() throws {
        let r = try ProcessRunner.run(["sh", "-c", "cat; echo err >&2; exit 3"], input: "hello\n")
        #expect(r.status == 3)
        #expect(r.stdout == "hello\n")
        #expect(r.stderr == "err\n")
        #expect(throws: TestClusterError.self) { try r.check() }
    }

    @Test("a command past its timeout is killed")
    func timeout() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let r = try ProcessRunner.run(["sleep", "5"], timeout: .milliseconds(200))
        #expect(r.status == 128 + 9)
        #expect(clock.now - start < .seconds(3))
    }

    @Test("a missing program is a launch error")
    func missing() {
        #expect(throws: TestClusterError.self) { try ProcessRunner.run(["/nonexistent/program"]) }
        #expect(throws: TestClusterError.self) { try ProcessRunner.run([]) }
    }
}
