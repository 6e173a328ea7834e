import Foundation
import KubeObjects
import SwitchyardCore
import Testing

@Suite struct HostileInputTests {
    static let goodService = """
    apiVersion: v1
    kind: Service
    metadata: {name: fine, namespace: default}
    spec: {clusterIP: 10.96.0.30, ports: [{port: 80}]}
    """

    /// Deterministic pseudo-random bytes (xorshift), so a failure reproduces.
    static func garbage(count: Int, seed: UInt64) -> [UInt8] {
        var x = seed
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    @Test(arguments: [UInt64(1), 42, 0xdead_beef])
    func binaryGarbageGivesADiagnostic(seed: UInt64) {
        let r = ManifestDecoder.decode(Self.garbage(count: 64 << 10, seed: seed), source: "bin")
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.count >= 1)
        #expect(r.diagnostics.allSatisfy { !$0.description.contains("\n") })
    }

    @Test func garbageThatStartsLikeJSON() {
        let r = ManifestDecoder.decode([UInt8(ascii: "{")] + Self.garbage(count: 4096, seed: 7), source: "j")
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.reason.contains("JSON") == true)
    }

    @Test func tenMegabyteStringInYAML() {
        let big = String(repeating: "x", count: 10 << 20)
        let r = ManifestDecoder.decode("\(Self.goodService)\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: \(big)\n",
                                       source: "big.yaml")
        #expect(r.services.map(\.metadata.name) == ["fine"])
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.reason.contains("longer than") == true)
        #expect(r.diagnostics.first?.source == "big.yaml#1")
    }

    @Test func tenMegabyteStringInJSON() {
        let big = String(repeating: "y", count: 10 << 20)
        let r = ManifestDecoder.decode("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"\(big)\"}}",
                                       source: "big.json")
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.reason.contains("longer than") == true)
    }

    @Test func deeplyNestedJSON() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let r = ManifestDecoder.decode("{\"kind\":\"Service\",\"x\":\(deep)}", source: "deep.json")
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.first?.reason.contains("nesting deeper than 64") == true)
    }

    @Test(arguments: [999, 1_000, 100_000])
    func deeplyNestedFlowYAML(depth: Int) {
        let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let r = ManifestDecoder.decode("\(Self.goodService)\n---\nkind: Service\nx: \(deep)\n", source: "deep.yaml")
        #expect(r.services.map(\.metadata.name) == ["fine"])
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.source == "deep.yaml#1")
    }

    @Test func deeplyNestedBlockYAML() {
        var text = "kind: Service\n"
        for level in 0..<200 { text += String(repeating: " ", count: level) + "a:\n" }
        text += String(repeating: " ", count: 200) + "b: 1\n"
        let r = ManifestDecoder.decode(text, source: "block")
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.first?.reason.contains("nesting deeper than 64") == true)
    }

    @Test func billionLaughs() {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        text += "kind: Service\n"
        let r = ManifestDecoder.decode(text, source: "lol")
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.reason.contains("alias expansion") == true)
    }

    @Test func doublingAliasBombWithFewAliases() {
        var text = "b0: &b0 [x, x]\n"
        for i in 1...60 { text += "b\(i): &b\(i) [*b\(i - 1), *b\(i - 1)]\n" }
        let r = ManifestDecoder.decode(text, source: "dbl")
        #expect(r.diagnostics.first?.reason.contains("alias expansion") == true)
    }

    @Test(arguments: [
        "k0: &k0 [x, x]\nk1: &k1 [*k0, *k0]\n? *k1\n: v\n",
        "k0: &k0 [x, x]\n*k0 : v\n",
        "k0: &k0 [x, x]\nm: {[*k0, *k0]: v}\n",
        "k0: &k0 [x, x]\n[*k0]: v\n",
    ])
    func nonScalarKeysAreRefused(text: String) {
        let r = ManifestDecoder.decode(text, source: "keys")
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.first?.reason.contains("mapping keys must be plain scalars") == true)
    }

    @Test func tooManyAliases() {
        let text = "x: &x 1\nl: [" + Array(repeating: "*x", count: 1_001).joined(separator: ",") + "]\n"
        let r = ManifestDecoder.decode(text, source: "many")
        #expect(r.diagnostics.first?.reason.contains("1001 alias references") == true)
    }

    @Test func aliasLookingTextInQuotesCommentsAndBlockScalarsIsNotCounted() {
        let text = """
        apiVersion: v1
        kind: Service
        metadata:
          name: quoted
          namespace: default
          annotations:
            a: "*not: an alias"
            b: '? not a key'
            c: |
              *x: [y]: z
              ? q
            d: plain *star text
        spec: {clusterIP: 10.96.0.31}  # *comment: [x]: y
        """
        let limits = DecodeLimits(maxAliases: 0)
        let r = ManifestDecoder.decode(text, source: "q", limits: limits)
        #expect(r.diagnostics == [])
        #expect(r.services.first?.metadata.annotations?["c"] == "*x: [y]: z\n? q\n")
    }

    @Test func inputSizeLimit() {
        let r = ManifestDecoder.decode(Self.goodService, source: "s", limits: DecodeLimits(maxInputBytes: 16))
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.first?.reason.contains("more than the limit of 16") == true)
    }

    @Test func mappingEntryLimit() {
        let labels = (0..<50).map { "    l\($0): v" }.joined(separator: "\n")
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: m\n  labels:\n\(labels)\n"
        let ok = ManifestDecoder.decode(text, source: "m")
        #expect(ok.services.first?.metadata.labels?.count == 50)
        let r = ManifestDecoder.decode(text, source: "m", limits: DecodeLimits(maxMappingEntries: 49))
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.first?.reason.contains("more than the limit of 49") == true)
    }

    @Test func yamlSyntaxErrorKeepsEarlierDocuments() {
        let r = ManifestDecoder.decode("\(Self.goodService)\n---\nkind: Service\n  bad: [unclosed\n", source: "syn")
        #expect(r.services.map(\.metadata.name) == ["fine"])
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.reason.hasPrefix("invalid YAML at line") == true)
        #expect(r.diagnostics.first?.source == "syn#1")
    }

    @Test func nonObjectDocuments() {
        let r = ManifestDecoder.decode("just a string\n---\n- 1\n- 2\n---\n42\n", source: "scalars")
        // The bare sequence is read like a List whose two items are not objects.
        #expect(r.objects.isEmpty)
        #expect(r.diagnostics.map(\.source) == ["scalars#0", "scalars#1", "scalars#1", "scalars#2"])
    }

    @Test func emptyAndCommentOnlyInputs() {
        for text in ["", "   \n", "# nothing\n", "---\n---\n", "{\"kind\":\"List\",\"items\":[]}", "[]"] {
            let r = ManifestDecoder.decode(text, source: "e")
            #expect(r == DecodeResult(), "input \(text.debugDescription)")
        }
    }
}
