import Testing
@testable import IPVSNetlink

@Suite struct NetlinkAttributeTests {
    @Test func scalarAttributesArePaddedToFourBytesButLengthExcludesPadding() {
        var w = NetlinkAttributeWriter()
        w.append(7, u8: 0xAB)
        // nla_len = 5 (4 header + 1), nla_type = 7, payload AB, three zero pad bytes.
        #expect(w.bytes == [5, 0, 7, 0, 0xAB, 0, 0, 0])
        w.append(8, u16: 0x0102)
        #expect(Array(w.bytes[8...]) == [6, 0, 8, 0, 0x02, 0x01, 0, 0])
        w.append(9, be16: 0x0102)
        #expect(Array(w.bytes[16...]) == [6, 0, 9, 0, 0x01, 0x02, 0, 0])
        #expect(w.bytes.count % 4 == 0)
    }

    @Test func stringsCarryTheirTerminator() {
        var w = NetlinkAttributeWriter()
        w.append(6, string: "wrr")
        #expect(w.bytes == [8, 0, 6, 0, 0x77, 0x72, 0x72, 0])
        w.append(6, string: "sh")
        #expect(Array(w.bytes[8...]) == [7, 0, 6, 0, 0x73, 0x68, 0, 0])
    }

    @Test func nestedLengthCoversInnerAttributesAndParsesBack() throws {
        var w = NetlinkAttributeWriter(prefix: [1, 2, 3, 4])
        w.nested(1) {
            $0.append(2, u32: 0xDEADBEEF)
            $0.append(3, u8: 9)
        }
        w.append(4, u64: 42)
        // Outer: 4-byte prefix, nest header, 8-byte u32 attr, 8-byte padded u8 attr.
        #expect(w.bytes[4] == 20 && w.bytes[5] == 0)
        let top = try NetlinkAttributes(w.bytes[4...])
        #expect(top.types == [1, 4])
        #expect(top.u64(4) == 42)
        let inner = try #require(try top.nested(1))
        #expect(inner.u32(2) == 0xDEADBEEF)
        #expect(inner.u8(3) == 9)
    }

    @Test func parserRejectsAttributesThatOverrunTheirContainer() {
        let bytes: [UInt8] = [12, 0, 1, 0, 1, 2, 3, 4] // claims 12 bytes, has 8
        #expect(throws: NetlinkError.self) { try NetlinkAttributes(bytes[...]) }
        let tooShort: [UInt8] = [2, 0, 1, 0]           // length below the header size
        #expect(throws: NetlinkError.self) { try NetlinkAttributes(tooShort[...]) }
    }

    @Test func parserMasksNestedAndByteOrderBits() throws {
        var w = NetlinkAttributeWriter()
        w.append(5 | Netlink.attributeNested, u32: 1)
        w.append(6 | Netlink.attributeNetByteOrder, u32: 2)
        let a = try NetlinkAttributes(w.bytes[...])
        #expect(a.u32(5) == 1 && a.u32(6) == 2)
    }

    @Test func scalarOfWrongSizeIsAbsent() throws {
        var w = NetlinkAttributeWriter()
        w.append(1, u16: 7)
        let a = try NetlinkAttributes(w.bytes[...])
        #expect(a.u32(1) == nil)
        #expect(a.u16(1) == 7)
    }
}
