import Foundation
import KubeObjects

/// Writes objects as a manifest that `kubectl` and Switchyard's manifest loader read: a `v1`
/// `List` whose `items` are the objects, in JSON or YAML. Output is deterministic (keys sorted).
public enum ManifestWriter {
    /// `{"apiVersion":"v1","kind":"List","items":[…]}`, compact unless `pretty`.
    public static func json(_ objects: [KubeObject], pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(ObjectList(items: objects.map(ListItem.init)))
    }

    /// The same `kind: List` document in block-style YAML (every string double-quoted).
    public static func yaml(_ objects: [KubeObject]) throws -> Data {
        let tree = try JSONTreeParser.parse(Array(json(objects)))
        return Data(YAMLEmitter.document(tree).utf8)
    }

    /// A multi-document YAML stream: each object its own `---` document.
    public static func yamlDocuments(_ objects: [KubeObject]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = ""
        for object in objects {
            let tree = try JSONTreeParser.parse(Array(encoder.encode(ListItem(object))))
            out += "---\n" + YAMLEmitter.document(tree)
        }
        return Data(out.utf8)
    }
}

/// The `v1.List` wrapper.
private struct ObjectList: Encodable {
    var apiVersion = "v1"
    var kind = "List"
    var items: [ListItem]
}

/// One object, encoded as itself (each KubeObjects type carries its own apiVersion and kind).
private struct ListItem: Encodable {
    var object: KubeObject
    init(_ object: KubeObject) { self.object = object }

    func encode(to encoder: Encoder) throws {
        switch object {
        case .service(let s): try s.encode(to: encoder)
        case .endpointSlice(let e): try e.encode(to: encoder)
        case .node(let n): try n.encode(to: encoder)
        }
    }
}
