import Foundation
import KubeObjects

/// Access to the files in `Fixtures/`.
enum Fixture {
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func decode(_ name: String) throws -> DecodeResult {
        ManifestDecoder.decode(try data(name), source: name)
    }
}

extension DecodeResult {
    var services: [Service] { objects.compactMap { if case .service(let s) = $0 { s } else { nil } } }
    var slices: [EndpointSlice] { objects.compactMap { if case .endpointSlice(let e) = $0 { e } else { nil } } }
    var nodes: [Node] { objects.compactMap { if case .node(let n) = $0 { n } else { nil } } }
    func service(_ name: String) -> Service? { services.first { $0.metadata.name == name } }
}
