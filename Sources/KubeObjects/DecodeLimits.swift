/// Hard limits that keep hostile manifests from exhausting time, memory or stack.
///
/// Every limit is far above what a real `kubectl get -o yaml|json` dump needs (the API server refuses
/// objects over ~1.5 MiB, and no field Switchyard reads nests deeper than about 15 levels), and each
/// breach yields a `Diagnostic` instead of a crash:
/// - `maxInputBytes` (256 MiB): larger inputs are refused whole.
/// - `maxDepth` (64): maximum nesting of mappings and sequences, JSON and YAML alike. libyaml itself also
///   stops at 1000 levels before Yams composes a node, so the composer never recurses deeper than that.
/// - `maxScalarBytes` (1 MiB): maximum length of one string or scalar.
/// - `maxAliases` (1000): maximum number of YAML alias references (`*name`) in one input.
/// - `aliasExpansionAllowance` (100,000): YAML aliases may add at most this many nodes beyond one node per
///   input byte (a document without aliases never has more nodes than bytes), so "billion laughs" stops early.
/// - `maxMappingEntries` (10,000): maximum entries in one YAML mapping (Yams looks keys up linearly).
/// YAML mapping keys must be scalars: explicit `?` keys, alias keys and flow-collection keys are refused,
/// because hashing an alias-expanded key could be exponential before any other limit applies.
public struct DecodeLimits: Hashable, Sendable {
    public var maxInputBytes: Int
    public var maxDepth: Int
    public var maxScalarBytes: Int
    public var maxAliases: Int
    public var aliasExpansionAllowance: Int
    public var maxMappingEntries: Int

    public init(maxInputBytes: Int = 256 << 20, maxDepth: Int = 64, maxScalarBytes: Int = 1 << 20,
                maxAliases: Int = 1000, aliasExpansionAllowance: Int = 100_000, maxMappingEntries: Int = 10_000) {
        self.maxInputBytes = maxInputBytes; self.maxDepth = maxDepth; self.maxScalarBytes = maxScalarBytes
        self.maxAliases = maxAliases; self.aliasExpansionAllowance = aliasExpansionAllowance
        self.maxMappingEntries = maxMappingEntries
    }

    /// The documented defaults.
    public static let `default` = DecodeLimits()
}
