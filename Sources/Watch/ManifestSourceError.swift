/// Why a manifest path could not be loaded.
public struct ManifestSourceError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// Nothing exists at the path (or it is a dangling symbolic link).
        case notFound
        /// The path exists but could not be read or listed; the text is the system's reason.
        case unreadable(String)
    }

    /// The path as given (or as found while walking a directory).
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) { self.path = path; self.reason = reason }

    /// One line, e.g. `cannot load manifests from manifests/web.yaml: no such file or directory`.
    public var description: String {
        let what: String
        switch reason {
        case .notFound: what = "no such file or directory"
        case .unreadable(let why): what = "cannot be read (\(why))"
        }
        return "cannot load manifests from \(path): \(what)"
    }
}
