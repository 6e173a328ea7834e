import Apply

/// Turns nft's error output into an `ApplyError` naming the failing input line.
///
/// nft reports `/dev/stdin:LINE:COL-COL: Error: MESSAGE` followed by the line and a caret marker.
enum NftErrorParser {
    /// The first `Error:` diagnostic of `output`, with the line number and that line of `script`.
    static func error(output: String, script: String, operation: String) -> ApplyError {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        for l in lines {
            guard let r = l.range(of: ": Error: ") else { continue }
            let message = String(l[r.upperBound...])
            let location = l[..<r.lowerBound].split(separator: ":")
            // location: FILE, LINE, COLS (the file name itself never contains ':' for /dev/stdin).
            var lineNo: Int?
            if location.count >= 2, let n = Int(location[location.count - 2]) { lineNo = n }
            return ApplyError(backend: "nftables", operation: operation, message: message,
                              line: lineNo, lineText: lineNo.flatMap { lineText(script, $0) })
        }
        let trimmed = output.split(separator: "\n").prefix(5).joined(separator: "\n")
        return ApplyError(backend: "nftables", operation: operation, message: trimmed.isEmpty ? "failed with no output" : trimmed)
    }

    /// Line `n` (1-based) of `script`, cut to 300 characters.
    static func lineText(_ script: String, _ n: Int) -> String? {
        guard n >= 1 else { return nil }
        var i = 1
        for l in script.split(separator: "\n", omittingEmptySubsequences: false) {
            if i == n { return l.count > 300 ? String(l.prefix(300)) + "…" : String(l) }
            i += 1
        }
        return nil
    }
}
