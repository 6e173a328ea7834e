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
}
