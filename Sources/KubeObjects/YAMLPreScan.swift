/// A conservative textual pass over YAML before libyaml and Yams see it.
///
/// It counts alias references (`*name`) and finds mapping keys that are not scalars (explicit `?` keys,
/// alias keys, flow-collection keys). It errs towards counting too much: text it cannot place
/// (e.g. continuation lines of plain scalars) is scanned as structure. Quoted strings, comments and
/// block scalars (`|`, `>`) are skipped.
struct YAMLPreScan {
    private(set) var aliases = 0
    private(set) var complexKeyLine: Int?

    private var line = 0
    private var flowDepth = 0
    private var quote: UInt8?          // '"' or '\'' while inside a quoted scalar
    private var blockParentIndent: Int? // indentation of the line that opened a block scalar

    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> YAMLPreScan {
        var s = YAMLPreScan()
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            s.scanLine(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            s.line += 1
            start = end + 1
        }
        return s
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 }
    private static func isNameChar(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 || b == 45
    }

    private mutating func scanLine(_ l: UnsafeBufferPointer<UInt8>) {
        var indent = 0
        while indent < l.count && l[indent] == 32 { indent += 1 }
        if let parent = blockParentIndent {
            let blank = l[indent...].allSatisfy(Self.isSpace)
            if blank || indent > parent { return }
            blockParentIndent = nil
        }
        var i = quote == nil ? indent : 0
        if quote == nil && indent == 0 && l.count >= 3 && (l[0] == 45 || l[0] == 46) && l[1] == l[0] && l[2] == l[0]
            && (l.count == 3 || Self.isSpace(l[3])) {
            i = 3   // document marker (--- or ...), possibly followed by content
        }
        var tokenStart = true   // the next character starts a token
        var inPlain = false     // inside a plain (unquoted) scalar
        while i < l.count {
            let b = l[i]
            if let q = quote {
                if q == 34 && b == 92 { i += 2; continue }            // \x in "…"
                if b == q {
                    if q == 39 && i + 1 < l.count && l[i + 1] == 39 { i += 2; continue }  // '' in '…'
                    quote = nil; tokenStart = false
                }
                i += 1; continue
            }
            let next: UInt8 = i + 1 < l.count ? l[i + 1] : 32
            if Self.isSpace(b) { tokenStart = true; i += 1; continue }
            if b == 35 && tokenStart { return }                        // # comment
            if b == 58 && (Self.isSpace(next) || flowDepth > 0) {     // ':' value indicator
                inPlain = false; tokenStart = true; i += 1; continue
            }
            if flowDepth > 0 && (b == 44 || b == 91 || b == 93 || b == 123 || b == 125) { inPlain = false }
            if inPlain { tokenStart = false; i += 1; continue }
            switch b {
            case 34 where tokenStart, 39 where tokenStart:                               // quoted scalar
                quote = b
            case 91, 123:                                               // [ {
                flowDepth += 1; tokenStart = true; i += 1; continue
            case 93, 125:                                               // ] }
                flowDepth = max(0, flowDepth - 1)
                if followedByColon(l, from: i + 1) { flag() }
            case 44 where flowDepth > 0:                                // ,
                tokenStart = true; i += 1; continue
            case 42 where tokenStart:                                   // *alias
                aliases += 1
                var j = i + 1
                while j < l.count && Self.isNameChar(l[j]) { j += 1 }
                if followedByColon(l, from: j) { flag() }
                i = j; tokenStart = false; continue
            case 38 where tokenStart:                                   // &anchor
                var j = i + 1
                while j < l.count && Self.isNameChar(l[j]) { j += 1 }
                i = j; continue
            case 63 where tokenStart && Self.isSpace(next):             // ? explicit key
                flag()
            case 45 where tokenStart && Self.isSpace(next):             // - sequence entry
                i += 1; continue
            case 124 where tokenStart && flowDepth == 0, 62 where tokenStart && flowDepth == 0:            // | > block scalar
                blockParentIndent = indent
                return
            default:
                if tokenStart { inPlain = true }
            }
            tokenStart = false
            i += 1
        }
    }

    private func followedByColon(_ l: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var j = start
        while j < l.count && Self.isSpace(l[j]) { j += 1 }
        return j < l.count && l[j] == 58
    }

    private mutating func flag() {
        if complexKeyLine == nil { complexKeyLine = line + 1 }
    }
}
