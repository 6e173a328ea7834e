import SwitchyardCore

/// What decoding one input produced.
public struct DecodeResult: Hashable, Sendable {
    /// Objects of the kinds Switchyard understands, in input order.
    public var objects: [KubeObject]
    /// One entry per object or document that could not be decoded; all other objects still decode.
    public var diagnostics: [Diagnostic]
    /// Objects of other kinds (Deployment, ConfigMap, …), skipped silently, counted by kind as written.
    public var ignoredKinds: [String: Int]

    public init(objects: [KubeObject] = [], diagnostics: [Diagnostic] = [], ignoredKinds: [String: Int] = [:]) {
        self.objects = objects; self.diagnostics = diagnostics; self.ignoredKinds = ignoredKinds
    }

    /// How many objects of other kinds were skipped.
    public var ignoredCount: Int { ignoredKinds.values.reduce(0, +) }

    /// Appends another result (e.g. the next file's).
    public mutating func append(_ other: DecodeResult) {
        objects.append(contentsOf: other.objects)
        diagnostics.append(contentsOf: other.diagnostics)
        ignoredKinds.merge(other.ignoredKinds, uniquingKeysWith: +)
    }
}
