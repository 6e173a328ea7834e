import SwitchyardCore
import TestCluster
import Testing

/// The probe line format and the executable lookup (no root needed).
struct ProbeResultTests {
    @Test("printed lines parse back to the same result", arguments: [
        ProbeResult(outcome: .answered, answeredBy: "pod-a1", sourceSeen: SocketEndpoint(IPAddress("203.0.113.5")!, 40000), latency: .microseconds(812)),
        ProbeResult(outcome: .answered, answeredBy: "web", sourceSeen: SocketEndpoint(IPAddress("fd00:10:244:1::2")!, 1), latency: .microseconds(3)),
        ProbeResult(outcome: .refused, latency: .microseconds(120)),
        ProbeResult(outcome: .unreachable, latency: .microseconds(7)),
        ProbeResult(outcome: .timeout, latency: .milliseconds(300)),
        ProbeResult(outcome: .failed("recv:_Connection_reset"), latency: .microseconds(9)),
    ])
    func roundTrip(result: ProbeResult) throws {
        #expect(ProbeResult(line: result.line) == result)
    }

    @Test("concrete lines parse to typed fields")
    func parse() throws {
        let results = try ProbeResult.parse(output: "ok pod-b1 2001:db8::5:41000 latency_us=250\nrefused latency_us=90\n")
        #expect(results.count == 2)
        #expect(results[0].answeredBy == "pod-b1")
        #expect(results[0].sourceSeen == SocketEndpoint(IPAddress("2001:db8::5")!, 41000))
        #expect(results[0].latency == .microseconds(250))
        #expect(results[1].outcome == .refused)
    }

    @Test("garbage is rejected", arguments: ["", "ok", "ok pod latency_us=1", "ok pod 1.2.3.4:99999 latency_us=1",
                                             "refused", "refused latency_us=x", "bogus latency_us=1"])
    func garbage(line: String) {
        #expect(ProbeResult(line: line) == nil)
    }

    @Test("endpoints parse at the last colon, with or without brackets")
    func endpoints() {
        #expect(SocketEndpoint("[::1]:80") == SocketEndpoint(IPAddress("::1")!, 80))
        #expect(SocketEndpoint("::1:80") == SocketEndpoint(IPAddress("::1")!, 80))
        #expect(SocketEndpoint("10.0.0.1:65535")?.port == 65535)
        #expect(SocketEndpoint("10.0.0.1") == nil)
    }

    @Test("the executable is looked up: env override, beside the test bundle, then .build/debug")
    func executableCandidates() {
        let list = SwitchyardExecutable.candidates(
            environment: ["SWITCHYARD_EXECUTABLE": "/opt/sy"],
            argument0: "/w/.build/x86_64-unknown-linux-gnu/debug/switchyardPackageTests.xctest",
            bundleExecutable: nil, currentDirectory: "/w")
        #expect(list == ["/opt/sy", "/w/.build/x86_64-unknown-linux-gnu/debug/switchyard", "/w/.build/debug/switchyard"])
        #expect(throws: TestClusterError.self) {
            try SwitchyardExecutable.locate(environment: [:], argument0: "/nonexistent/x", bundleExecutable: nil, currentDirectory: "/nonexistent")
        }
    }

    @Test("the executable is found for this test run")
    func executableFound() throws {
        let path = try SwitchyardExecutable.locate()
        #expect(path.hasSuffix("/switchyard"))
    }
}
