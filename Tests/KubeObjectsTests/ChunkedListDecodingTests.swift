import Foundation
@testable import KubeObjects
import Testing

/// A large JSON `List` is decoded in parallel chunks; the result must be the one the whole
/// document gives, and anything unusual must fall back to decoding it whole.
@Suite struct ChunkedListDecodingTests {
    /// Item `i`: mostly valid services and slices, with malformed, ignored and kind-less items mixed in.
    static func item(_ i: Int) -> String {
        switch i % 7 {
        case 0: return #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"s\#(i)","namespace":"n"},"spec":{"clusterIP":"10.96.0.\#(i % 250 + 1)","ports":[{"port":80}]}}"#
        case 1: return #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"e\#(i)","labels":{"kubernetes.io/service-name":"s\#(i - 1)"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.0.\#(i % 250 + 1)"]}],"ports":[{"port":8080}]}"#
        case 2: return #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad\#(i)","namespace":"n"},"spec":{"ports":[{"port":"x"}]}}"#
        case 3: return #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d\#(i)"}}"#
        case 4: return #"{"metadata":{"name":"nokind\#(i)"}}"#
        case 5: return #"{"apiVersion":"discovery.k8s.io/v1beta1","kind":"EndpointSlice","metadata":{"name":"old\#(i)"}}"#
        default: return #"  {"apiVersion":"v1","kind":"Service","metadata":{"name":"s\#(i)"},"spec":{"clusterIP":"10.96.1.\#(i % 250 + 1)","ports":[{"port":53,"protocol":"UDP"}]}}  "#
        }
    }

    static func list(_ count: Int, kind: String = "List", separator: String = ",\n", extra: String = "") -> Data {
        let items = (0..<count).map(item).joined(separator: separator)
        return Data(#"{"apiVersion":"v1","kind":"\#(kind)","metadata":{"resourceVersion":"7"},"items":[\#(items)]\#(extra)}"#.utf8)
    }

    static func whole(_ data: Data) -> DecodeResult? {
        if case .decoded(let r) = ManifestDecoder.decodeJSON(data, source: "t", limits: .default, chunked: false) { return r }
        return nil
    }

    @Test func aLargeListDecodesInChunksLikeTheWholeDocument() throws {
        let data = Self.list(3_000)
        let chunked = try #require(ManifestDecoder.decodeListInChunks(data, source: "t"))
        let whole = try #require(Self.whole(data))
        #expect(chunked == whole)
        #expect(chunked.objects.count > 1_000)
        #expect(!chunked.diagnostics.isEmpty && chunked.ignoredKinds["Deployment"] != nil)
        #expect(ManifestDecoder.decode(data, source: "t") == whole)
    }

    @Test func typedListItemsGetTheListsKindInEveryChunk() throws {
        let items = (0..<1_500).map { #"{"metadata":{"name":"s\#($0)","namespace":"n"},"spec":{"clusterIP":"10.96.2.1","ports":[{"port":80}]}}"# }
        let data = Data(#"{"apiVersion":"v1","kind":"ServiceList","items":[\#(items.joined(separator: ","))]}"#.utf8)
        let chunked = try #require(ManifestDecoder.decodeListInChunks(data, source: "t"))
        #expect(chunked == Self.whole(data))
        #expect(chunked.objects.count == 1_500)
    }

    @Test func unusualLayoutsAreDecodedWhole() {
        // A missing comma exactly between two items (where chunks may be cut), a doubled comma,
        // a trailing comma, `items` twice, an escaped key, an `items` that is not a list, and a
        // syntax error outside the items.
        var broken = [Self.list(2_000, separator: "\n"), Self.list(2_000, separator: ",,"),
                      Self.list(2_000, extra: #","items":[]"#), Self.list(2_000, extra: ",}")]
        broken.append(Data(String(decoding: Self.list(2_000), as: UTF8.self).replacingOccurrences(of: #""items""#, with: #""it\u0065ms""#).utf8))
        broken.append(Data(#"{"kind":"List","items":{"a":1}}"#.utf8))
        for data in broken { #expect(ManifestDecoder.decodeListInChunks(data, source: "t") == nil) }
        var trailing = Self.list(2_000)
        trailing.removeLast() // drop the closing brace
        trailing.append(contentsOf: Array("],}".utf8))
        #expect(ManifestDecoder.decodeListInChunks(trailing, source: "t") == nil)
    }

    @Test func aSmallListOrASingleObjectIsDecodedWhole() {
        #expect(ManifestDecoder.decodeListInChunks(Self.list(10), source: "t") == nil)
        #expect(ManifestDecoder.decodeListInChunks(Data(Self.item(0).utf8), source: "t") == nil)
    }

    @Test func theSplitFindsEveryElementOfTheItems() throws {
        let data = Self.list(700, separator: " ,\n\t")
        let layout = try #require(data.withUnsafeBytes { JSONListSplit.layout($0.bindMemory(to: UInt8.self)) })
        #expect(layout.elements.count == 700)
        let texts = layout.elements.map { String(decoding: data[$0], as: UTF8.self) }
        #expect(texts == (0..<700).map { Self.item($0).trimmingCharacters(in: .whitespaces) })
    }
}
