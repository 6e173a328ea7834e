/// Kubernetes name rules (RFC 1123), applied before any name from an object is used.
public enum NameValidation {
    /// A DNS-1123 label: 1–63 characters of `[a-z0-9-]`, starting and ending alphanumeric.
    public static func isDNSLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        return isLabelBytes(bytes[...])
    }

    /// A DNS-1123 subdomain: at most 253 characters, dot-separated DNS labels.
    public static func isDNSSubdomain(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        return bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0.count <= 63 && isLabelBytes($0)
        }
    }

    /// A port name: empty (unnamed) or a DNS label.
    public static func isPortName(_ text: String) -> Bool { text.isEmpty || isDNSLabel(text) }

    private static func isLabelBytes(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }

    /// Objects without a namespace live in `default`, as `kubectl` assumes.
    public static func effectiveNamespace(_ namespace: String?) -> String {
        guard let namespace, !namespace.isEmpty else { return "default" }
        return namespace
    }
}
