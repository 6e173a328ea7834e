import ProxyConfig
import Testing

@Suite("Go durations")
struct GoDurationTests {
    @Test("valid durations parse to seconds", arguments: [
        ("30s", 30.0), ("1m0s", 60), ("500ms", 0.5), ("0", 0), ("0s", 0), ("1h", 3600), ("1.5h", 5400),
        ("2h45m", 9900), ("1h2m3.5s", 3723.5), ("300us", 0.0003), ("300µs", 0.0003), ("300μs", 0.0003),
        ("15ns", 15e-9), ("-1s", -1), ("+2s", 2), (".5s", 0.5), ("1.s", 1), ("24h0m0s", 86400),
    ])
    func valid(text: String, seconds: Double) throws {
        let parsed = try #require(GoDuration.parse(text), "\(text)")
        #expect(abs(parsed - seconds) < 1e-9, "\(text) → \(parsed)")
    }

    @Test("invalid durations are rejected", arguments: ["", "30", "s", "1x", "1.2.3s", "m5", ".s", "1 s", "1S", "--1s", "1h-5m", "5sm"])
    func invalid(text: String) {
        #expect(GoDuration.parse(text) == nil, "\(text)")
    }

    @Test("format prints Go's form and round-trips", arguments: [(30.0, "30s"), (60, "1m0s"), (0.5, "500ms"), (0, "0s"), (3723.5, "1h2m3.5s")])
    func format(seconds: Double, text: String) throws {
        #expect(GoDuration.format(seconds) == text)
        #expect(GoDuration.parse(GoDuration.format(seconds)) == seconds)
    }
}

@Suite("bind addresses")
struct BindAddressTests {
    @Test("IP:port, [v6]:port and bare IPs", arguments: [
        ("0.0.0.0:10256", "0.0.0.0", 10256), ("127.0.0.1:10249", "127.0.0.1", 10249), ("[::]:9000", "::", 9000),
        ("[fd00::1]:0", "fd00::1", 0), ("192.0.2.1", "192.0.2.1", 7), ("::1", "::1", 7),
    ])
    func valid(text: String, host: String, port: Int) throws {
        let b = try #require(BindAddress.parse(text, defaultPort: 7), "\(text)")
        #expect(b.host == host && b.port == port)
    }

    @Test("invalid bind addresses", arguments: ["", ":10256", "localhost:10256", "0.0.0.0:", "0.0.0.0:70000", "1.2.3.4:80:90", "[::1]80", "1.2.3.4:x"])
    func invalid(text: String) {
        #expect(BindAddress.parse(text, defaultPort: 1) == nil, "\(text)")
    }
}
