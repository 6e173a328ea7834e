/// Finds the items of a JSON `List` document without decoding it, so they can be decoded in
/// parallel chunks: the byte range of the top-level `"items"` array and of each of its elements.
///
/// It is not a validator: the caller still decodes the document around the items and every
/// chunk with `JSONDecoder`, and falls back to decoding the whole document when anything here
/// is unusual (no top-level object, no `items` array, `items` twice, a key written with escapes).
enum JSONListSplit {
    struct Layout: Equatable {
        /// The `[ … ]` of the top-level `items` value.
        var items: Range<Int>
        /// Each element of `items`, whitespace trimmed.
        var elements: [Range<Int>]
    }

    static func layout(_ bytes: UnsafeBufferPointer<UInt8>) -> Layout? {
        let n = bytes.count
        var i = 0
        func skipSpace() { while i < n, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 } }
        // Past the string starting at `i` (a quote); false if it does not end.
        func skipString() -> Bool {
            i += 1
            while i < n {
                let b = bytes[i]
                if b == UInt8(ascii: "\\") { i += 2; continue }
                i += 1
                if b == UInt8(ascii: "\"") { return true }
            }
            return false
        }
        // Past the value starting at `i`: a string, or anything up to its matching bracket or
        // the next `,` / closing bracket at this depth.
        func skipValue() -> Bool {
            guard i < n else { return false }
            if bytes[i] == UInt8(ascii: "\"") { return skipString() }
            var depth = 0
            while i < n {
                let b = bytes[i]
                switch b {
                case UInt8(ascii: "\""): if !skipString() { return false }; continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return true }
                    depth -= 1
                    if depth == 0 { i += 1; return true }
                case UInt8(ascii: ","): if depth == 0 { return true }
                default: break
                }
                i += 1
            }
            return depth == 0
        }
        func trimmedEnd(_ end: Int, from start: Int) -> Int {
            var e = end
            while e > start, bytes[e - 1] == 32 || bytes[e - 1] == 9 || bytes[e - 1] == 10 || bytes[e - 1] == 13 { e -= 1 }
            return e
        }

        if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        skipSpace()
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var found: Layout? = nil
        while true {
            skipSpace()
            guard i < n else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return found }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            guard bytes[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            guard skipString() else { return nil }
            let key = UnsafeBufferPointer(rebasing: bytes[keyStart..<(i - 1)])
            if key.contains(UInt8(ascii: "\\")) { return nil }
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            if key.elementsEqual("items".utf8) {
                guard found == nil, i < n, bytes[i] == UInt8(ascii: "[") else { return nil }
                let start = i
                i += 1
                var elements: [Range<Int>] = []
                skipSpace()
                if i < n, bytes[i] == UInt8(ascii: "]") {
                    i += 1
                } else {
                    // Strictly `element (, element)* ]`: chunk boundaries fall between elements,
                    // where no decoder looks, so the separators are checked here.
                    while true {
                        skipSpace()
                        let elementStart = i
                        guard i < n, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "]"), skipValue() else { return nil }
                        elements.append(elementStart..<trimmedEnd(i, from: elementStart))
                        skipSpace()
                        guard i < n else { return nil }
                        if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                        guard bytes[i] == UInt8(ascii: ",") else { return nil }
                        i += 1
                    }
                }
                found = Layout(items: start..<i, elements: elements)
            } else {
                guard skipValue() else { return nil }
            }
        }
    }
}
