/// A named network namespace (an entry under `/run/netns`, as made by `ip netns add`).
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// The full name as `ip netns` knows it, e.g. `sy4821c1-node-a`.
    public let name: String

    /// Wraps an existing namespace name.
    public init(_ name: String) { self.name = name }

    public var description: String { name }
}

/// Anything that lives in one network namespace: a node, a pod, the client, or the namespace itself.
/// Lets `TestCluster.run(in:)` take a pod or node directly.
public protocol InNetworkNamespace: Sendable {
    /// The namespace commands for this member run in.
    var namespace: NetworkNamespace { get }
}

extension NetworkNamespace: InNetworkNamespace {
    public var namespace: NetworkNamespace { self }
}
