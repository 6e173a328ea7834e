import Foundation
import KubeObjects
import Synthetic
import Testing

/// A `v1.List` read back with Foundation's decoder, items dispatched on `kind`.
private struct DecodedList: Decodable {
    var apiVersion: String
    var kind: String
    var items: [DecodedItem]
}

private struct DecodedItem: Decodable {
    var object: KubeObject
    private enum Keys: String, CodingKey { case kind }
    init(from decoder: Decoder) throws {
        let kind = try decoder.container(keyedBy: Keys.self).decode(String.self, forKey: .kind)
        switch kind {
        case "Service": object = .service(try Service(from: decoder))
        case "EndpointSlice": object = .endpointSlice(try EndpointSlice(from: decoder))
        case "Node": object = .node(try Node(from: decoder))
        default: throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: kind))
        }
    }
}

@Suite struct ManifestWriterTests {
    let objects = SyntheticCluster(seed: 21, services: 150, endpointsPerService: 3, mix: .everything).objects()

    @Test func jsonListRoundTripsThroughJSONDecoder() throws {
        for pretty in [false, true] {
            let data = try ManifestWriter.json(objects, pretty: pretty)
            let list = try JSONDecoder().decode(DecodedList.self, from: data)
            #expect(list.apiVersion == "v1")
            #expect(list.kind == "List")
            #expect(list.items.map(\.object) == objects)
        }
    }

    @Test func jsonIsDeterministic() throws {
        let again = SyntheticCluster(seed: 21, services: 150, endpointsPerService: 3, mix: .everything).objects()
        #expect(try ManifestWriter.json(objects) == ManifestWriter.json(again))
    }

    @Test func yamlListHasOneItemPerObject() throws {
        let text = String(decoding: try ManifestWriter.yaml(objects), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.contains("kind: \"List\""))
        #expect(lines.contains("apiVersion: \"v1\""))
        #expect(lines.filter { $0.hasPrefix("  - ") }.count == objects.count)
        #expect(lines.filter { $0.hasPrefix("    kind: ") || $0.hasPrefix("  - kind: ") }.count == objects.count)
        #expect(text.contains("kubernetes.io/service-name: \"svc-0\""))
        // Top-level keys only at column 0, and nothing but the three List keys there.
        let topLevel = lines.filter { !$0.hasPrefix(" ") }.map { $0.split(separator: ":")[0] }
        #expect(topLevel == ["apiVersion", "items", "kind"])
    }

    @Test func yamlDocumentStreamHasOneDocumentPerObject() throws {
        let text = String(decoding: try ManifestWriter.yamlDocuments(objects), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0 == "---" }.count == objects.count)
        #expect(lines.filter { $0.hasPrefix("kind: ") }.count == objects.count)
    }

    @Test func yamlQuotesHostileStrings() throws {
        var service = Service(metadata: ObjectMeta(name: "a\"b\nc: d", namespace: "yes",
                                                   labels: ["on": "off", "x y": "#"]), spec: nil)
        service.metadata.annotations = ["tab": "\t\u{7}"]
        let text = String(decoding: try ManifestWriter.yaml([.service(service)]), as: UTF8.self)
        #expect(text.contains("name: \"a\\\"b\\nc: d\""))
        #expect(text.contains("namespace: \"yes\""))
        #expect(text.contains("\"on\": \"off\""))
        #expect(text.contains("\"x y\": \"#\""))
        #expect(text.contains("tab: \"\\t\\u0007\""))
        // Nothing the object said ends up on a line of its own.
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("c: d") })
    }
}
