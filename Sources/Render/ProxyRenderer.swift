import Diff
import Model

/// A backend's pure half: turns proxy state (or a diff of it) into what its applier sends to
/// the kernel. Renderers do no I/O and make no policy decisions — those are in `Model`.
public protocol ProxyRenderer: Sendable {
    /// What the applier consumes and `dry-run` prints.
    associatedtype Output: RenderedOutput

    /// Everything, for a first or periodic full sync.
    func renderFull(_ state: ProxyState) -> Output

    /// Only what `diff` changed; `state` is the new state (for dispatch rules that need context).
    /// Precondition: `!diff.requiresFullSync` (callers render in full then).
    func renderIncremental(_ diff: StateDiff, state: ProxyState) -> Output
}

/// Rendered output that can be printed by `switchyard dry-run`.
public protocol RenderedOutput: Sendable {
    /// The exact text a tool accepts (`nft -f`, `iptables-restore`), or a readable plan.
    var text: String { get }
    /// A JSON document describing the output, for `--format json`.
    var json: String { get }
    /// The output split into what each tool consumes (see `RenderedPart`); `dry-run --output-dir` writes these.
    var parts: [RenderedPart] { get }
}

/// One piece of a rendered output that one tool consumes (e.g. `iptables-restore` for IPv4).
public struct RenderedPart: Hashable, Sendable {
    /// A file name for the piece, e.g. `iptables-restore.ipv4`.
    public var name: String
    /// The command that consumes it, e.g. `iptables-restore --noflush`.
    public var command: String
    /// The input text.
    public var text: String
    public init(name: String, command: String, text: String) { self.name = name; self.command = command; self.text = text }
}

extension RenderedOutput {
    /// The output split into what each tool consumes; by default one piece with the whole text.
    public var parts: [RenderedPart] { [RenderedPart(name: "output.txt", command: "", text: text)] }
}
