/// One linear pass over JSON bytes enforcing `maxDepth` and `maxScalarBytes` before `JSONDecoder` sees them.
///
/// It does not validate JSON (the decoder does); it only tracks strings (with escapes) and bracket depth.
enum JSONPreScan {
    /// Returns the first limit breached, as a reason, or nil.
    static func check(_ bytes: UnsafeBufferPointer<UInt8>, limits: DecodeLimits) -> String? {
        var depth = 0
        var inString = false
        var escaped = false
        var stringStart = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                    if i - stringStart > limits.maxScalarBytes {
                        return "string at byte \(stringStart) is longer than \(limits.maxScalarBytes) bytes"
                    }
                }
            } else {
                switch b {
                case UInt8(ascii: "\""):
                    inString = true; stringStart = i
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    if depth > limits.maxDepth { return "nesting deeper than \(limits.maxDepth) levels at byte \(i)" }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                default:
                    break
                }
            }
            i += 1
        }
        if inString && n - stringStart > limits.maxScalarBytes {
            return "string at byte \(stringStart) is longer than \(limits.maxScalarBytes) bytes"
        }
        return nil
    }
}
