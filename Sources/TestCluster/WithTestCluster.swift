/// Builds a cluster, runs `body` with it, and tears it down whether `body` returns or throws.
public func withTestCluster<R>(
    _ spec: TestClusterSpec = TestClusterSpec(), _ body: (TestCluster) throws -> R
) throws -> R {
    let cluster = try TestCluster.create(spec)
    defer { cluster.teardown() }
    return try body(cluster)
}

/// Async variant of `withTestCluster(_:_:)`: tears down whether `body` returns or throws.
public func withTestCluster<R>(
    _ spec: TestClusterSpec = TestClusterSpec(),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (TestCluster) async throws -> R
) async throws -> R {
    let cluster = try TestCluster.create(spec)
    defer { cluster.teardown() }
    return try await body(cluster)
}
