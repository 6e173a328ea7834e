/// A problem before a source is attached; becomes a `Diagnostic` once the document index is known.
struct Problem: Hashable, Sendable {
    var kind: String
    var namespace: String
    var name: String
    var field: String
    var reason: String

    /// A problem with the document as a whole rather than with one object.
    static func document(_ reason: String, field: String = "(document)") -> Problem {
        Problem(kind: "Document", namespace: "", name: "", field: field, reason: reason)
    }
}

/// The outcome for one object found in a document.
enum DecodedEntry: Hashable, Sendable {
    case object(KubeObject)
    /// A kind Switchyard does not read (as written).
    case ignored(kind: String)
    case failed(Problem)
}

/// One document: a single object, a `kind: List`, or a typed list (`ServiceList`, …).
///
/// Decoding never throws: every item is decoded on its own and failures become `Problem`s,
/// so one malformed object cannot hide the others.
struct DocumentEnvelope: Decodable {
    var entries: [DecodedEntry] = []

    init(from decoder: Decoder) {
        guard let c = try? decoder.container(keyedBy: AnyKey.self) else {
            // A bare array of objects is accepted like a `kind: List`.
            guard var items = try? decoder.unkeyedContainer() else {
                entries = [.failed(.document("document is not a mapping (object)"))]
                return
            }
            decodeItems(&items, listKind: "List", itemKind: nil, apiVersion: nil)
            return
        }
        let kind = try? c.decodeIfPresent(String.self, forKey: AnyKey("kind"))
        let apiVersion = try? c.decodeIfPresent(String.self, forKey: AnyKey("apiVersion"))
        guard let kind, kind.hasSuffix("List"), c.contains(AnyKey("items")) else {
            entries = [ObjectDecoding.decodeEntry(decoder, defaultKind: nil, defaultAPIVersion: nil)]
            return
        }
        // `List` items carry their own kind; typed lists (`ServiceList`) may omit it.
        let itemKind = kind == "List" ? nil : String(kind.dropLast(4))
        if (try? c.decodeNil(forKey: AnyKey("items"))) == true { return }
        guard var items = try? c.nestedUnkeyedContainer(forKey: AnyKey("items")) else {
            entries = [.failed(Problem(kind: kind, namespace: "", name: "", field: "items", reason: "items is not a list"))]
            return
        }
        decodeItems(&items, listKind: kind, itemKind: itemKind, apiVersion: apiVersion)
    }

    private mutating func decodeItems(_ items: inout UnkeyedDecodingContainer, listKind: String,
                                      itemKind: String?, apiVersion: String?) {
        while !items.isAtEnd {
            guard let itemDecoder = try? items.superDecoder() else {
                entries.append(.failed(Problem(kind: listKind, namespace: "", name: "",
                                               field: "items[\(items.currentIndex)]", reason: "unreadable list item")))
                return
            }
            entries.append(ObjectDecoding.decodeEntry(itemDecoder, defaultKind: itemKind, defaultAPIVersion: apiVersion))
        }
    }
}

/// A coding key for any field name.
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
