import SwitchyardCore

/// A set of element keys for de-duplicating a full render's elements (`NftElementMerger`).
///
/// A full render at 10,000 services checks some 200,000 keys; `Set<NftKey>` spends most of that
/// in `Hasher`. IPv4 keys — every key of an IPv4 table — are packed instead into two words and
/// kept in an open-addressing table with a multiplicative hash. Packing is one-to-one, so the
/// answers are exactly those of `Set<NftKey>`; keys that do not pack (IPv6) use one.
struct NftKeySet {
    /// Two words per bucket; a first word of 0 marks an empty bucket (packed keys never have one).
    private var buckets: [UInt64]
    /// log2 of the number of buckets.
    private var shift: Int
    private var packedCount = 0
    private var others = Set<NftKey>()

    init(minimumCapacity: Int = 0) {
        shift = Self.bits(for: minimumCapacity)
        buckets = [UInt64](repeating: 0, count: 2 << shift)
    }

    /// Number of keys.
    var count: Int { packedCount + others.count }

    /// Makes room for `n` more keys at once.
    mutating func reserve(_ n: Int) {
        let bits = Self.bits(for: packedCount + n)
        if bits > shift { rehash(bits) }
    }

    /// Inserts `key`; false when it was there already.
    mutating func insert(_ key: NftKey) -> Bool {
        guard let (a, b) = Self.pack(key) else { return others.insert(key).inserted }
        if 2 * (packedCount + 1) > (1 << shift) { rehash(shift + 1) }
        let inserted = Self.insert(a, b, into: &buckets, shift: shift)
        if inserted { packedCount += 1 }
        return inserted
    }

    /// At most half of the buckets in use.
    private static func bits(for n: Int) -> Int {
        var bits = 4
        while (1 << bits) < 2 * n { bits += 1 }
        return bits
    }

    private mutating func rehash(_ bits: Int) {
        var fresh = [UInt64](repeating: 0, count: 2 << bits)
        var i = 0
        while i < buckets.count {
            if buckets[i] != 0 { _ = Self.insert(buckets[i], buckets[i + 1], into: &fresh, shift: bits) }
            i += 2
        }
        buckets = fresh
        shift = bits
    }

    private static func insert(_ a: UInt64, _ b: UInt64, into table: inout [UInt64], shift: Int) -> Bool {
        let mask = (1 << shift) - 1
        var i = Int(truncatingIfNeeded: hash(a, b) >> UInt64(64 - shift))
        return table.withUnsafeMutableBufferPointer { t in
            while true {
                let w = t[2 * i]
                if w == 0 { t[2 * i] = a; t[2 * i + 1] = b; return true }
                if w == a && t[2 * i + 1] == b { return false }
                i = (i + 1) & mask
            }
        }
    }

    /// A multiply-xorshift mix of both words (the high bits pick the bucket).
    private static func hash(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var h = a &* 0x9E37_79B9_7F4A_7C15 ^ b
        h ^= h >> 29
        h = h &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h &* 0x94D0_49BB_1331_11EB
    }

    /// The key as two words, or nil when it has an IPv6 part. Layout of the first word: kind
    /// (bits 56–63, never 0), frontend has an address (55), protocol number (40–47), port
    /// (24–39), prefix length (0–7); the second holds the 32-bit addresses and the slot index.
    static func pack(_ key: NftKey) -> (UInt64, UInt64)? {
        func v4(_ a: IPAddress) -> UInt64? { a.family == .ipv4 ? UInt64(a.v4Value) : nil }
        func frontend(_ f: NftFrontend) -> (word: UInt64, address: UInt64)? {
            var word = UInt64(f.proto.number) << 40 | UInt64(f.port) << 24
            guard let a = f.address else { return (word, 0) }
            guard let v = v4(a) else { return nil }
            word |= 1 << 55
            return (word, v)
        }
        switch key {
        case .address(let a):
            guard let v = v4(a) else { return nil }
            return (1 << 56, v)
        case .prefix(let c):
            guard let v = v4(c.address) else { return nil }
            return (2 << 56 | UInt64(c.prefixLength), v)
        case .addressPair(let x, let y):
            guard let v = v4(x), let w = v4(y) else { return nil }
            return (3 << 56, v << 32 | w)
        case .frontend(let f):
            guard let fe = frontend(f) else { return nil }
            return (4 << 56 | fe.word, fe.address << 32)
        case .slot(let f, let i):
            guard let fe = frontend(f) else { return nil }
            return (5 << 56 | fe.word, fe.address << 32 | UInt64(i))
        case .source(let f, let c):
            guard let fe = frontend(f), let v = v4(c.address) else { return nil }
            return (6 << 56 | fe.word | UInt64(c.prefixLength), fe.address << 32 | v)
        }
    }
}
