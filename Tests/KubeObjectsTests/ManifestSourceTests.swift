import Foundation
import KubeObjects
import SwitchyardCore
import Testing
import Watch

/// A throwaway directory removed when the test ends.
final class TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "sy-manifests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }
}

@Suite struct ManifestSourceTests {
    static func service(_ name: String, ip: String) -> String {
        "apiVersion: v1\nkind: Service\nmetadata: {name: \(name), namespace: default}\nspec: {clusterIP: \(ip)}\n"
    }

    @Test func walksDirectoriesRecursivelyInSortedOrderSkippingHiddenAndOtherFiles() throws {
        let dir = try TempDir()
        try dir.write("b.yaml", Self.service("b", ip: "10.96.0.2"))
        try dir.write("a/z.yml", Self.service("z", ip: "10.96.0.3"))
        try dir.write("a/y.JSON", #"{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}"#)
        try dir.write("c.txt", Self.service("txt", ip: "10.96.0.4"))
        try dir.write(".hidden.yaml", Self.service("hidden", ip: "10.96.0.5"))
        try dir.write("..data/d.yaml", Self.service("hidden-dir", ip: "10.96.0.6"))
        try dir.write("README", "not yaml: [")
        let source = ManifestSource(paths: [dir.path])
        #expect(try source.files() == [dir.path + "/a/y.JSON", dir.path + "/a/z.yml", dir.path + "/b.yaml"])
        let load = try source.load()
        #expect(load.objects.map(\.ref.description) == ["Node n1", "Service default/z", "Service default/b"])
        #expect(load.diagnostics == [])
    }

    @Test func explicitFilesAreReadWhateverTheirExtensionAndOnlyOnce() throws {
        let dir = try TempDir()
        let txt = try dir.write("svc.txt", Self.service("t", ip: "10.96.0.7"))
        let yaml = try dir.write("x.yaml", Self.service("x", ip: "10.96.0.8"))
        let load = try ManifestSource(paths: [txt, dir.path, yaml]).load()
        #expect(load.files == [txt, yaml])
        #expect(load.objects.map(\.ref.name) == ["t", "x"])
    }

    @Test func diagnosticsNameFileAndDocument() throws {
        let dir = try TempDir()
        let file = try dir.write("m.yaml", Self.service("ok", ip: "10.96.0.9")
                                 + "---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: x}]}\n")
        let load = try ManifestSource(paths: [dir.path]).load()
        #expect(load.objects.map(\.ref.name) == ["ok"])
        #expect(load.diagnostics.map(\.source) == [file + "#1"])
        #expect(load.diagnostics.first?.description == "skipped Service default/bad: spec.ports[0].port: wrong type, expected integer (\(file)#1)")
    }

    @Test func missingPathIsATypedError() throws {
        let dir = try TempDir()
        let missing = dir.path + "/nope.yaml"
        #expect(throws: ManifestSourceError(path: missing, reason: .notFound)) {
            try ManifestSource(paths: [missing]).load()
        }
        let error = ManifestSourceError(path: missing, reason: .notFound)
        #expect(error.description == "cannot load manifests from \(missing): no such file or directory")
    }

    @Test func danglingSymlinkIsNotFound() throws {
        let dir = try TempDir()
        let link = dir.path + "/dangling.yaml"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir.path + "/gone.yaml")
        #expect(throws: ManifestSourceError(path: link, reason: .notFound)) { try ManifestSource(paths: [link]).files() }
        // Inside a directory walk a dangling link is skipped.
        #expect(try ManifestSource(paths: [dir.path]).files() == [])
    }

    @Test func symlinkLoopsStop() throws {
        let dir = try TempDir()
        try dir.write("sub/s.yaml", Self.service("s", ip: "10.96.0.10"))
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/sub/loop", withDestinationPath: dir.path)
        let files = try ManifestSource(paths: [dir.path], maxDirectoryDepth: 4).files()
        #expect(files == [dir.path + "/sub/loop/sub/s.yaml", dir.path + "/sub/s.yaml"])
    }

    @Test func oversizedFileGetsADiagnosticNotARead() throws {
        let dir = try TempDir()
        let file = try dir.write("big.yaml", Self.service("big", ip: "10.96.0.11"))
        let load = try ManifestSource(paths: [file], limits: DecodeLimits(maxInputBytes: 10)).load()
        #expect(load.objects.isEmpty)
        #expect(load.diagnostics.first?.source == file + "#0")
    }

    @Test func fixturesDirectoryLoads() throws {
        let load = try ManifestSource(paths: [Fixture.directory.path]).load()
        #expect(load.files.map { ($0 as NSString).lastPathComponent } == [
            "cluster-list.json", "cluster-list.yaml", "malformed-list.yaml", "multi-doc.yaml", "typed-lists.yaml",
        ])
        #expect(load.diagnostics.count == 4)
        #expect(load.result.ignoredKinds == ["Deployment": 2, "ConfigMap": 1])
    }

    @Test func eventsKeepTheLaterObjectPerRef() throws {
        let dir = try TempDir()
        try dir.write("1.yaml", Self.service("web", ip: "10.96.0.1") + "---\n" + Self.service("api", ip: "10.96.0.2"))
        try dir.write("2.yaml", Self.service("web", ip: "10.96.0.99"))
        let load = try ManifestSource(paths: [dir.path]).load()
        #expect(load.objects.count == 3)
        let events = load.events
        #expect(events.count == 2)
        let ips = events.compactMap { event -> String? in
            if case .upsert(.service(let s)) = event { return "\(s.metadata.name ?? "")=\(s.spec?.clusterIP ?? "")" }
            return nil
        }
        #expect(ips == ["api=10.96.0.2", "web=10.96.0.99"])
        #expect(ObjectEvent.upserts(for: []) == [])
    }
}
