import Model
import Testing

@Suite struct NameValidationTests {
    @Test(arguments: [
        ("web", true), ("a", true), ("a-1", true), ("0abc", true), (String(repeating: "a", count: 63), true),
        ("", false), ("Web", false), ("-web", false), ("web-", false), ("we_b", false), ("we.b", false),
        (String(repeating: "a", count: 64), false), ("wéb", false), ("web\n", false),
    ])
    func dnsLabel(_ text: String, _ valid: Bool) {
        #expect(NameValidation.isDNSLabel(text) == valid)
    }

    @Test(arguments: [
        ("web", true), ("web-abc12.x", true), ("a.b.c", true), ("", false), ("a..b", false), (".a", false),
        ("a.", false), ("A.b", false), (String(repeating: "a", count: 254), false),
    ])
    func dnsSubdomain(_ text: String, _ valid: Bool) {
        #expect(NameValidation.isDNSSubdomain(text) == valid)
    }

    @Test func portNameMayBeEmpty() {
        #expect(NameValidation.isPortName(""))
        #expect(!NameValidation.isPortName("HTTP"))
    }

    @Test func missingNamespaceIsDefault() {
        #expect(NameValidation.effectiveNamespace(nil) == "default")
        #expect(NameValidation.effectiveNamespace("") == "default")
        #expect(NameValidation.effectiveNamespace("kube-system") == "kube-system")
    }
}
