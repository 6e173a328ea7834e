import Foundation
import KubeObjects
import SwitchyardCore

/// Loads manifests from files and directories (the `--manifests PATH…` source).
///
/// - A file named explicitly is read whatever its extension.
/// - A directory is walked recursively; only `*.yaml`, `*.yml` and `*.json` files are read, hidden
///   entries (names starting with `.`, e.g. ConfigMap-mount `..data`) are skipped, and files are read in
///   sorted path order so the result is deterministic. Directory symlinks are followed up to
///   `maxDirectoryDepth` levels, which also stops symlink loops.
/// - Diagnostics name their file and document as `path#docIndex`.
public struct ManifestSource: Sendable {
    /// Files and directories, in the order given.
    public var paths: [String]
    /// Decoder limits; files larger than `limits.maxInputBytes` get a diagnostic and are not read.
    public var limits: DecodeLimits
    /// How deep directories are walked.
    public var maxDirectoryDepth: Int

    /// File extensions read from directories.
    public static let extensions: Set<String> = ["yaml", "yml", "json"]

    public init(paths: [String], limits: DecodeLimits = .default, maxDirectoryDepth: Int = 32) {
        self.paths = paths; self.limits = limits; self.maxDirectoryDepth = maxDirectoryDepth
    }

    /// The files `load()` reads, in order: each path's files in sorted order, paths in the order given,
    /// a file reached twice read once.
    public func files() throws(ManifestSourceError) -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        for path in paths {
            for file in try files(at: path) where seen.insert(file).inserted { out.append(file) }
        }
        return out
    }

    /// Reads and decodes every file.
    public func load() throws(ManifestSourceError) -> ManifestLoad {
        var load = ManifestLoad(files: try files(), result: DecodeResult())
        for file in load.files {
            load.result.append(try loadFile(file))
        }
        return load
    }

    func loadFile(_ file: String) throws(ManifestSourceError) -> DecodeResult {
        let fm = FileManager.default
        if let size = (try? fm.attributesOfItem(atPath: file))?[.size] as? NSNumber, size.intValue > limits.maxInputBytes {
            return DecodeResult(diagnostics: [Diagnostic(
                kind: "Document", namespace: "", name: "", field: "(document)",
                reason: "file is \(size.intValue) bytes, more than the limit of \(limits.maxInputBytes)",
                source: "\(file)#0")])
        }
        guard let data = fm.contents(atPath: file) else {
            throw ManifestSourceError(path: file, reason: fm.fileExists(atPath: file) ? .unreadable("read failed") : .notFound)
        }
        return ManifestDecoder.decode(data, source: file, limits: limits)
    }

    func files(at path: String) throws(ManifestSourceError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ManifestSourceError(path: path, reason: .notFound)
        }
        guard isDirectory.boolValue else { return [path] }
        var out: [String] = []
        try walk(path, depth: 0, into: &out)
        return out.sorted()
    }

    private func walk(_ directory: String, depth: Int, into out: inout [String]) throws(ManifestSourceError) {
        guard depth < maxDirectoryDepth else { return }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ManifestSourceError(path: directory, reason: .unreadable(error.localizedDescription))
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let full = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try walk(full, depth: depth + 1, into: &out)
            } else if let dot = name.lastIndex(of: "."),
                      Self.extensions.contains(name[name.index(after: dot)...].lowercased()) {
                out.append(full)
            }
        }
    }
}

/// What `ManifestSource.load()` produced.
public struct ManifestLoad: Hashable, Sendable {
    /// The files read, in order.
    public var files: [String]
    /// Objects, diagnostics and ignored kinds of all files, in file order.
    public var result: DecodeResult

    public init(files: [String], result: DecodeResult) { self.files = files; self.result = result }

    public var objects: [KubeObject] { result.objects }
    public var diagnostics: [Diagnostic] { result.diagnostics }
    /// The objects as events for `ProxyStateTracker` and friends; see `ObjectEvent.upserts(for:)`.
    public var events: [ObjectEvent] { ObjectEvent.upserts(for: result.objects) }
}

extension ObjectEvent {
    /// One `.upsert` per distinct `ObjectRef`; when two objects share a ref the later one wins.
    /// Events are sorted by ref so the output does not depend on file order beyond that rule.
    public static func upserts(for objects: [KubeObject]) -> [ObjectEvent] {
        var latest: [ObjectRef: KubeObject] = [:]
        for object in objects { latest[object.ref] = object }
        return latest.keys.sorted().map { .upsert(latest[$0]!) }
    }
}
