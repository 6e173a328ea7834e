import Foundation
import Model
import RenderIptables
import SwitchyardCore
import Testing

/// Golden output for a small state covering every feature (set SWITCHYARD_UPDATE_GOLDEN=1 to rewrite).
@Suite struct IptGoldenTests {
    static let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/iptables")

    func check(_ text: String, _ file: String) throws {
        let url = Self.goldenDir.appendingPathComponent(file)
        if ProcessInfo.processInfo.environment["SWITCHYARD_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.goldenDir, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "golden \(file) differs; rerun with SWITCHYARD_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test func fullRenderMatchesGolden() throws {
        let out = IptablesRenderer().renderFull(IptFixtures.state(IptFixtures.everyFeature))
        try check(out.text, "every-feature.txt")
    }

    @Test func allLocalNodePortsMasqueradeAllGolden() throws {
        var cfg = IptFixtures.config
        cfg.masqueradeAll = true
        cfg.nodePortAddresses = [CIDR("0.0.0.0/0")!, CIDR("::/0")!]
        let ports = IptFixtures.everyFeature.filter { $0.key.service.name == "web" || $0.key.service.name == "empty" }
        let out = IptablesRenderer().renderFull(IptFixtures.state(ports, config: cfg))
        try check(out.text, "all-local-masquerade-all.txt")
    }
}
