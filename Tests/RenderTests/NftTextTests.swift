import Model
import SwitchyardCore
import Testing
@testable import RenderNftables

/// The renderer's fast element text is byte-identical to the values' own descriptions.
@Suite("nftables element text")
struct NftTextTests {
    @Test func addressesMatchDescription() {
        var rng = SystemRandomNumberGenerator()
        let fixed: [UInt32] = [0, 1, 0x0A60_0001, 0xC000_0201, 0x7F00_0001, 0xFFFF_FFFF, 0x0A0A_0A0A, 0x6400_0A09]
        for v in fixed + (0..<2000).map({ _ in UInt32.random(in: .min ... .max, using: &rng) }) {
            let a = IPAddress(v4: v)
            #expect(NftText.address(a) == a.description)
        }
        let v6 = IPAddress(v6High: 0xFD00_0010_0096_0000, low: 0x1)
        #expect(NftText.address(v6) == v6.description)
    }

    @Test func numbersAndEndpointsMatchDescription() {
        for n in [0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535, 99999, 100_000, 1_234_567, -1] {
            #expect(NftText.number(n) == String(n))
        }
        for port in [UInt16(0), 1, 80, 443, 8080, 65535] {
            let ep = Endpoint(ip: IPAddress(v4: 0x0AF4_0105), port: port, isLocal: false)
            #expect(NftText.endpoint(ep) == "\(ep.ip) . \(ep.port)")
            let ep6 = Endpoint(ip: IPAddress(v6High: 0xFD00_0010_0244_0000, low: 0x5), port: port, isLocal: true)
            #expect(NftText.endpoint(ep6) == "\(ep6.ip) . \(ep6.port)")
        }
    }

    /// JSON lists an element's key components and data; joined as nft writes them they are the
    /// script's text of the element (the golden file pins that text).
    @Test func jsonComponentsSpellTheScriptText() {
        var count = 0
        for c in NftablesRenderer().renderFull(NftFixtures.full).transaction.commands {
            guard case .addElements(_, _, let els) = c else { continue }
            for e in els {
                var text = e.keyComponents.joined(separator: " . ")
                if let comment = e.comment { text += " comment \"\(comment)\"" }
                if let v = e.dataText { text += " : " + v }
                #expect(text == e.text)
                count += 1
            }
        }
        #expect(count > 20)
    }
}
