import Testing
@testable import SwitchyardCore

@Suite struct ASCIIBufferTests {
    /// Every digit count, and the edges of each: the same text as `String(v)`.
    @Test func numbersAreTheirDecimalText() {
        var values: [UInt32] = [0, 9, 10, 99, 100, 65_535, 65_536, 999_999_999, 1_000_000_000, UInt32.max]
        var p: UInt32 = 1
        for _ in 0..<9 { p *= 10; values += [p - 1, p, p + 1] }
        for v in values {
            var w = ASCIIBuffer()
            w.write(number: v)
            #expect(w.string == String(v))
        }
        var w = ASCIIBuffer()
        for v in [-1, 0, 42, Int(UInt32.max), Int(UInt32.max) + 1, Int.min] { w.write(number: v); w.write(",") }
        #expect(w.string == "-1,0,42,4294967295,4294967296,\(Int.min),")
    }

    @Test(arguments: ["0.0.0.0", "10.96.0.1", "192.0.2.255", "255.255.255.255", "fd00:10:96::1", "2001:db8::", "::"])
    func addressesAreTheirDescription(text: String) throws {
        let a = try #require(IPAddress(text))
        var w = ASCIIBuffer()
        w.write(a); w.write(" "); w.write(bracketed: a)
        let bracketed = a.family == .ipv4 ? a.description : "[\(a.description)]"
        #expect(w.string == "\(a.description) \(bracketed)")
    }

    /// Strings (multi-byte too), single bytes and other buffers append in order.
    @Test func piecesAppendInOrder() {
        var w = ASCIIBuffer(capacity: 4)
        w.write("a"); w.write(byte: UInt8(ascii: "-")); w.write(ASCIIBuffer("é\n")); w.write("")
        #expect(w.string == "a-é\n")
        #expect(w.count == "a-é\n".utf8.count)
        w.removeAll()
        #expect(w.isEmpty && w.string.isEmpty)
    }

    /// `host:port` in one step is the pieces written one by one (every digit count, both families).
    @Test func bracketedHostAndPortIsThePieces() {
        var rng = SystemRandomNumberGenerator()
        var cases: [(IPAddress, UInt16)] = [(IPAddress("0.0.0.0")!, 0), (IPAddress("255.255.255.255")!, 65535),
                                            (IPAddress("10.9.100.1")!, 9), (IPAddress("fd00::1")!, 80), (IPAddress("::")!, 65535)]
        for _ in 0..<2000 {
            cases.append((IPAddress(v4: UInt32.random(in: 0 ... .max, using: &rng)), UInt16.random(in: 0 ... .max, using: &rng)))
        }
        for p: UInt16 in [1, 10, 99, 100, 999, 1000, 9999, 10000] { cases.append((IPAddress(v4: 0x0a00_0001), p)) }
        var one = ASCIIBuffer(), pieces = ASCIIBuffer()
        for (ip, port) in cases {
            one.write("x"); one.write(bracketed: ip, port: port)
            pieces.write("x"); pieces.write(bracketed: ip); pieces.write(":"); pieces.write(number: UInt32(port))
            let expected = ip.family == .ipv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
            #expect(String(decoding: one.bytes.suffix(expected.utf8.count), as: UTF8.self) == expected)
        }
        #expect(one.string == pieces.string)
    }
}
