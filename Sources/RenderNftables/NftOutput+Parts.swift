import Render

extension NftOutput {
    /// One `nft -f` script covering both families.
    public var parts: [RenderedPart] { [RenderedPart(name: "nft.txt", command: "nft -f", text: text)] }
}
