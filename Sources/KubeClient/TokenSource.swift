import Foundation

/// Supplies the bearer token, re-reading a token file whenever its identity (inode), size or
/// modification time changes, so a rotated service-account token is picked up on the next request.
final class TokenSource: @unchecked Sendable {
    private let token: KubeClientConfig.Token
    private let lock = NSLock()
    private var cached: (stamp: FileStamp, value: String)?

    private struct FileStamp: Equatable {
        var inode: UInt64
        var size: UInt64
        var modified: Date
    }

    init(_ token: KubeClientConfig.Token) { self.token = token }

    /// The current token, or nil when none is configured. Throws if a token file cannot be read.
    func current() throws -> String? {
        switch token {
        case .none: return nil
        case .value(let v): return v
        case .file(let path): return try read(path)
        }
    }

    private func read(_ path: String) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = FileStamp(inode: (attributes?[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0,
                              size: (attributes?[.size] as? NSNumber)?.uint64Value ?? 0,
                              modified: attributes?[.modificationDate] as? Date ?? .distantPast)
        if let cached = lock.withLock({ cached }), cached.stamp == stamp { return cached.value }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeClientError.token("token file \(path) is missing or unreadable")
        }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw KubeClientError.token("token file \(path) is empty") }
        lock.withLock { cached = (stamp, value) }
        return value
    }
}
