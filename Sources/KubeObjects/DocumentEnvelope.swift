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
    /// Set when the document is a list whose `items` were decoded (or were null): what its items
    /// are decoded with, so the items can also be decoded apart from the document.
    var list: ListContext? = nil

    init(from decoder: Decoder) {
        guard let c = try? decoder.container(keyedBy: AnyKey.self) else {
            // A bare array of objects is accepted like a `kind: List`.
            guard var items = try? decoder.unkeyedContainer() else {
                entries = [.failed(.document("document is not a mapping (object)"))]
                return
            }
            entries = Self.decodeItems(&items, ListContext(listKind: "List", itemKind: nil, apiVersion: nil, firstIndex: 0))
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
        list = ListContext(listKind: kind, itemKind: itemKind, apiVersion: apiVersion, firstIndex: 0)
        entries = Self.decodeItems(&items, list!)
    }

    /// Decodes every item; an unreadable item ends the list (with a problem naming its index).
    static func decodeItems(_ items: inout UnkeyedDecodingContainer, _ list: ListContext) -> [DecodedEntry] {
        var entries: [DecodedEntry] = []
        while !items.isAtEnd {
            guard let itemDecoder = try? items.superDecoder() else {
                entries.append(.failed(Problem(kind: list.listKind, namespace: "", name: "",
                                               field: "items[\(list.firstIndex + items.currentIndex)]", reason: "unreadable list item")))
                return entries
            }
            entries.append(ObjectDecoding.decodeEntry(itemDecoder, defaultKind: list.itemKind, defaultAPIVersion: list.apiVersion))
        }
        return entries
    }

}

/// How the items of one list are decoded: the list's kind (for diagnostics), the kind and
/// apiVersion typed-list items default to, and the index of the first item decoded.
struct ListContext: Sendable, Hashable {
    var listKind: String
    var itemKind: String?
    var apiVersion: String?
    var firstIndex: Int

    /// The key under which a chunk decoder finds its context in `JSONDecoder.userInfo`.
    static let userInfoKey = CodingUserInfoKey(rawValue: "switchyard.listContext")!
}

/// A JSON array holding some items of a list, decoded like the list's own items (the context
/// comes from the decoder's `userInfo`, under `ListContext.userInfoKey`).
struct ListChunk: Decodable {
    var entries: [DecodedEntry]

    init(from decoder: Decoder) throws {
        guard let context = decoder.userInfo[ListContext.userInfoKey] as? ListContext else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no list context"))
        }
        var items = try decoder.unkeyedContainer()
        entries = DocumentEnvelope.decodeItems(&items, context)
    }

    /// True when decoding stopped at an unreadable item (the whole list must then be decoded at once).
    var stoppedEarly: Bool {
        if case .failed(let p)? = entries.last, p.reason == "unreadable list item" { return true }
        return false
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
