import Render

/// What the nftables renderer produces: one atomic transaction over our own tables.
public struct NftOutput: RenderedOutput, Hashable {
    public var transaction: NftTransaction
    /// True when this output replaces whole tables (a full render).
    public var isFull: Bool
    /// Set by an incremental render that cannot be expressed as a delta: the transaction is empty
    /// and the caller must render in full. (`NftablesRenderer` now expresses every change as a
    /// delta, a new endpoint count included; appliers still honour the flag.)
    public var needsFullSync: Bool

    public init(transaction: NftTransaction, isFull: Bool, needsFullSync: Bool = false) {
        self.transaction = transaction; self.isFull = isFull; self.needsFullSync = needsFullSync
    }

    /// The script for `nft -f` (one transaction).
    public var text: String { transaction.text }
    /// A JSON description of the commands.
    public var json: String { transaction.json }
    /// True when there is nothing to apply.
    public var isEmpty: Bool { transaction.commands.isEmpty }
}
