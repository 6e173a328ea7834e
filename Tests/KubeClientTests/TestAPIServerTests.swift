import Foundation
import KubeClient
import KubeObjects
import TestAPIServer
import Testing

/// Wire-level behaviour of the test server, through the plain client.
@Suite("TestAPIServer wire protocol")
struct TestAPIServerTests {
    func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func names(_ list: [String: Any]) -> [String] {
        (list["items"] as? [[String: Any]] ?? []).compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
    }

    @Test("label selectors: k, !k, k=v, k!=v, comma-joined; field selector metadata.name")
    func selectors() async throws {
        try await withServer { server, client in
            try server.create(service("a", labels: ["tier": "web", "x": "1"]))
            try server.create(service("b", labels: ["tier": "db"]))
            try server.create(service("c"))
            try server.create(service("d", namespace: "other", labels: ["tier": "web"]))
            func list(_ q: [(String, String)], path: String = "/api/v1/services") async throws -> [String] {
                names(try json(try await client.get(path, query: q)))
            }
            #expect(try await list([("labelSelector", "tier")]) == ["a", "b", "d"])
            #expect(try await list([("labelSelector", "!tier")]) == ["c"])
            #expect(try await list([("labelSelector", "tier=web")]) == ["a", "d"])
            #expect(try await list([("labelSelector", "tier!=web")]) == ["b", "c"])
            #expect(try await list([("labelSelector", "tier=web,!x")]) == ["d"])
            #expect(try await list([("fieldSelector", "metadata.name=b")]) == ["b"])
            #expect(try await list([], path: "/api/v1/namespaces/other/services") == ["d"])
            await #expect { _ = try await list([("labelSelector", "tier in (web)")]) } throws: { error in
                if case KubeClientError.status(422, _, _) = error { return true }
                return false
            }
        }
    }

    @Test("writes fill in uid, creationTimestamp and resourceVersion, and report conflicts and absences")
    func writes() async throws {
        try await withServer { server, _ in
            let created = try server.create(service("w"))
            guard case .service(let s) = created else { return }
            #expect(s.metadata.uid?.isEmpty == false)
            let rv1 = try #require(s.metadata.resourceVersion.flatMap(Int.init))
            var stale = s
            let updated = try server.update(.service(s))
            guard case .service(let u) = updated else { return }
            #expect(u.metadata.uid == s.metadata.uid)
            #expect(try #require(u.metadata.resourceVersion.flatMap(Int.init)) > rv1)
            stale.spec?.clusterIP = "10.96.9.9"
            #expect(throws: (any Error).self) { try server.update(.service(stale)) } // rv mismatch: 409
            #expect(throws: (any Error).self) { try server.create(service("w")) }   // exists
            try server.delete(created.ref)
            #expect(throws: (any Error).self) { try server.delete(created.ref) }    // gone
            let raw = try server.createJSON(.services, Data(#"{"metadata":{"name":"raw"},"spec":{"selector":{"a":"b"}},"status":{"x":1}}"#.utf8))
            #expect(String(decoding: raw, as: UTF8.self).contains(#""selector":{"a":"b"}"#))
        }
    }

    @Test("a watch from version 0 starts with every object ADDED; history past the limit is compacted (410)")
    func watchFromZeroAndHistoryLimit() async throws {
        let server = TestAPIServer(historyLimit: 10)
        let url = try await server.start()
        let client = try KubeAPIClient(config: KubeClientConfig(server: url), logger: quietLogger)
        defer { Task { try? await client.shutdown(); await server.stop() } }
        try server.create(service("one"))
        try server.create(service("two"))
        let start = server.resourceVersion
        let body = try await client.stream("/api/v1/services", query: [("watch", "1"), ("resourceVersion", "0"), ("timeoutSeconds", "1")],
                                           timeout: .seconds(10))
        var text = ""
        for try await chunk in body { text += String(decoding: chunk.readableBytesView, as: UTF8.self) }
        let types = text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["type"] as? String
        }
        #expect(types == ["ADDED", "ADDED"], "server-side timeoutSeconds ends the stream cleanly")
        for i in 0..<12 { try server.create(service("more-\(i)")) }
        let gone = try await client.stream("/api/v1/services", query: [("watch", "1"), ("resourceVersion", String(start))],
                                           timeout: .seconds(10))
        var errorLine = ""
        for try await chunk in gone { errorLine += String(decoding: chunk.readableBytesView, as: UTF8.self) }
        #expect(errorLine.contains(#""type":"ERROR""#) && errorLine.contains(#""code":410"#))
    }

    @Test("unknown paths are 404, unsupported methods 405, discovery answers")
    func routing() async throws {
        try await withServer { _, client in
            await #expect { _ = try await client.get("/api/v1/pods") } throws: { error in
                if case KubeClientError.status(404, _, _) = error { return true }
                return false
            }
            let resources = try json(try await client.get("/api/v1"))
            let listed = (resources["resources"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(listed.contains("services") && listed.contains("nodes"))
            let version = try json(try await client.get("/version"))
            #expect(version["major"] as? String == "1")
        }
    }
}
