import Testing
@testable import SwitchyardCore

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.96.0.1", "10.96.0.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("::", "::"),
        ("::1", "::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:db8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("fd00:10:96::70", "fd00:10:96::70"),
        ("1:0:0:0:0:0:0:0", "1::"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
    ])
    func parsesAndPrintsCanonically(input: String, canonical: String) throws {
        let ip = try #require(IPAddress(input))
        #expect(ip.description == canonical)
        #expect(IPAddress(canonical) == ip)
    }

    @Test(arguments: [
        "", " 10.0.0.1", "10.0.0.1 ", "10.0.0", "10.0.0.1.2", "256.0.0.1", "01.2.3.4", "1.2.3.04", "1..2.3",
        "a.b.c.d", "10.0.0.1/32", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1:2", "1:2:", "12345::", "g::1",
        "fe80::1%eth0", "[::1]", "10.0.0.1\n", "10.0.0.1\"; drop", "::ffff:1.2.3", "1:2:3:4:5:6:7::8:9",
        String(repeating: "1", count: 100),
    ])
    func rejectsMalformed(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test func bytesRoundTrip() throws {
        for text in ["192.0.2.10", "2001:db8::10", "::", "255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"] {
            let ip = try #require(IPAddress(text))
            #expect(IPAddress(bytes: ip.bytes) == ip)
            #expect(ip.bytes.count == (ip.family == .ipv4 ? 4 : 16))
        }
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test func ordersV4BeforeV6AndNumerically() throws {
        let list = ["10.0.0.10", "2001:db8::1", "10.0.0.9", "::1"].compactMap { IPAddress($0) }
        #expect(list.sorted().map(\.description) == ["10.0.0.9", "10.0.0.10", "::1", "2001:db8::1"])
    }

    @Test func classifies() throws {
        #expect(try #require(IPAddress("127.0.0.5")).isLoopback)
        #expect(try #require(IPAddress("::1")).isLoopback)
        #expect(try #require(IPAddress("169.254.1.1")).isLinkLocal)
        #expect(try #require(IPAddress("fe80::1")).isLinkLocal)
        #expect(try #require(IPAddress("224.0.0.1")).isMulticast)
        #expect(try #require(IPAddress("ff02::1")).isMulticast)
        #expect(try #require(IPAddress("0.0.0.0")).isUnspecified)
        #expect(!(try #require(IPAddress("10.0.0.1")).isLoopback))
    }
}

@Suite struct CIDRTests {
    @Test func normalisesHostBits() throws {
        let c = try #require(CIDR("10.244.1.7/16"))
        #expect(c.description == "10.244.0.0/16")
        #expect(c.contains(try #require(IPAddress("10.244.200.1"))))
        #expect(!c.contains(try #require(IPAddress("10.245.0.1"))))
        #expect(!c.contains(try #require(IPAddress("::1"))))
    }

    @Test func ipv6Prefixes() throws {
        let c = try #require(CIDR("fd00:10:244:1::99/64"))
        #expect(c.description == "fd00:10:244:1::/64")
        #expect(c.contains(try #require(IPAddress("fd00:10:244:1::8"))))
        #expect(!c.contains(try #require(IPAddress("fd00:10:244:2::8"))))
        let wide = try #require(CIDR("2001:db8::/32"))
        #expect(wide.contains(try #require(IPAddress("2001:db8:ffff::1"))))
        let host = try #require(CIDR("2001:db8::1/128"))
        #expect(host.contains(try #require(IPAddress("2001:db8::1"))))
        #expect(!host.contains(try #require(IPAddress("2001:db8::2"))))
    }

    @Test func bareAddressIsHostPrefix() throws {
        #expect(try #require(CIDR("192.0.2.1")).prefixLength == 32)
        #expect(try #require(CIDR("::1")).prefixLength == 128)
    }

    @Test func zeroPrefixContainsEverythingOfItsFamily() throws {
        let all = try #require(CIDR("0.0.0.0/0"))
        #expect(all.contains(try #require(IPAddress("203.0.113.9"))))
        #expect(!all.contains(try #require(IPAddress("2001:db8::1"))))
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "/8", "::/129", "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/abc"])
    func rejectsMalformed(input: String) {
        #expect(CIDR(input) == nil)
    }
}

@Suite struct StableHashTests {
    @Test func isStableAndSeparatesParts() {
        // FNV-1a is fixed: the same input hashes the same in every process.
        #expect(StableHash.of("a", "b") == StableHash.of("a", "b"))
        #expect(StableHash.of("ab", "") != StableHash.of("a", "b"))
        #expect(StableHash.of("") != StableHash.of())
        var h = StableHash()
        h.combine("a".utf8)
        #expect(h.value == 0xaf63dc4c8601ec8c) // FNV-1a 64 of "a"
    }

    @Test func base32UsesTheAlphabetOnly() {
        let s = StableHash.base32(StableHash.of("demo", "web", "http"), count: 16)
        #expect(s.count == 12) // capped at 60 bits
        #expect(s.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
        #expect(StableHash.base32(0, count: 4) == "AAAA")
    }

    /// The text is each 5-bit group, lowest first, through the alphabet (every position, random
    /// values, every length), as a plain reference implementation spells it.
    @Test func base32IsTheFiveBitGroupsLowestFirst() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        func reference(_ value: UInt64, _ count: Int) -> String {
            var v = value, out = ""
            for _ in 0..<min(count, 12) { out.append(alphabet[Int(v & 31)]); v >>= 5 }
            return out
        }
        var values: [UInt64] = [0, .max, 0x0123_4567_89ab_cdef]
        values += (0..<32).map { UInt64($0) * 0x0084_2108_4210_8421 } // every 5-bit group d
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<1000 { x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; values.append(x) }
        for v in values {
            for count in [0, 1, 12, 16] { #expect(StableHash.base32(v, count: count) == reference(v, count)) }
        }
    }
}

@Suite struct DiagnosticTests {
    @Test func staysOnOneLineAndShort() {
        let d = Diagnostic(kind: "Service", namespace: "demo", name: "bad\nname\"x", field: "spec.ports[0].port",
                           reason: String(repeating: "z", count: 1000))
        #expect(!d.description.contains("\n"))
        #expect(d.description.hasPrefix("skipped Service demo/bad\\u{a}name\"x: spec.ports[0].port: "))
        #expect(d.description.count < 400)
    }
}

@Suite struct JSONTextTests {
    @Test func escapesWhatJSONRequires() {
        #expect(JSONText.string("a\"b\\c\nd\re\tf\u{1}") == #""a\"b\\c\nd\re\tf\u0001""#)
        #expect(JSONText.string("ü→") == "\"ü→\"")
    }

    /// The logfmt variant: carriage return and DEL as `\u` escapes (a terminal never sees them raw).
    @Test func logVariantEscapesCarriageReturnAndDelete() {
        #expect(JSONText.quoted("a\rb\u{7F}c\u{1F}", shortCarriageReturn: false, escapeDelete: true) == #""a\u000db\u007fc\u001f""#)
        #expect(JSONText.quoted("a\u{7F}") == "\"a\u{7F}\"")
    }
}
