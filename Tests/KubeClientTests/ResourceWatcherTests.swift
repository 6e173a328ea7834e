import Foundation
import KubeClient
import KubeObjects
import SwitchyardCore
import TestAPIServer
import Testing

@Suite("ResourceWatcher against the test API server")
struct ResourceWatcherTests {
    @Test("the watch reports creates, updates and deletes after the initial list")
    func watchSeesChanges() async throws {
        try await withServer { server, client in
            try server.create(service("pre"))
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { $0.state.count == 1 })
            #expect(collector.updates.first?.listed == true)

            let created = try server.create(service("web", ip: "10.96.0.20"))
            #expect(await collector.wait { $0.state[created.ref] == created })

            guard case .service(var s) = created else { Issue.record("not a service"); return }
            s.spec?.ports = [ServicePortSpec(name: "https", protocol: "TCP", port: 443)]
            let updated = try server.update(.service(s))
            #expect(await collector.wait { $0.state[created.ref] == updated })

            try server.delete(created.ref)
            #expect(await collector.wait { $0.state[created.ref] == nil && $0.state.count == 1 })
            #expect(collector.updates.flatMap(\.events).contains(.delete(created.ref)))
            #expect(collector.state == serverState(server, [.service]))
        }
    }

    @Test("the service selector leaves out headless services and those of another proxy")
    func serviceSelector() async throws {
        try await withServer { server, client in
            try server.create(service("plain"))
            try server.create(service("headless", labels: [WatchResource.headlessLabel: ""]))
            try server.create(service("other", labels: [WatchResource.serviceProxyNameLabel: "other-proxy"]))
            try server.create(service("mine", labels: [WatchResource.serviceProxyNameLabel: "switchyard"]))
            let plain = Collector(), named = Collector()
            let t1 = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: plain)
            let t2 = start(ResourceWatcher(client: client, resource: .services(proxyName: "switchyard"), options: fastOptions, logger: quietLogger), into: named)
            defer { t1.cancel(); t2.cancel() }
            #expect(await plain.wait { $0.state.count == 1 })
            #expect(await named.wait { $0.state.count == 1 })
            #expect(plain.state.keys.map(\.name) == ["plain"])
            #expect(named.state.keys.map(\.name) == ["mine"])
            // A label change that moves a service out of the selector is a deletion for the watcher.
            guard case .service(var s) = server.objects(.service).first(where: { $0.ref.name == "plain" })! else { return }
            s.metadata.labels = [WatchResource.headlessLabel: ""]
            try server.update(.service(s))
            #expect(await plain.wait { $0.state.isEmpty })
        }
    }

    @Test("a LIST larger than the page size is fetched with continue tokens")
    func pagination() async throws {
        try await withServer { server, client in
            for i in 0..<7 { try server.create(service("svc-\(i)", ip: "10.96.0.\(i + 1)")) }
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { $0.state.count == 7 })
            let lists = recordedQueries(server, path: "/api/v1/services").filter { $0["watch"] == nil }
            #expect(lists.count == 4) // 2 + 2 + 2 + 1
            #expect(lists.allSatisfy { $0["limit"] == "2" })
            #expect(lists.dropFirst().allSatisfy { $0["continue"] != nil })
            // Each page is handed on as it arrives; the last one completes the list.
            let listing = Array(collector.updates.prefix { !$0.listed }) + collector.updates.filter(\.listed).prefix(1)
            #expect(listing.count == 4 && listing.last?.listed == true)
            #expect(listing.flatMap(\.events).count == 7)
            #expect(listing.map(\.events.count) == [2, 2, 2, 1])
        }
    }

    @Test("dropped watch streams resume from the last resource version without losing events")
    func resumeAfterDrop() async throws {
        try await withServer { server, client in
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { !$0.updates.isEmpty })
            for round in 0..<4 {
                try server.create(service("a-\(round)"))
                #expect(await collector.wait { $0.state.count == round * 2 + 1 })
                server.faults.dropWatches()
                try server.create(service("b-\(round)")) // may land while no watch is open
                #expect(await collector.wait { $0.state.count == round * 2 + 2 })
            }
            #expect(collector.state == serverState(server, [.service]))
            let queries = recordedQueries(server, path: "/api/v1/services")
            #expect(queries.filter { $0["watch"] == nil }.count == 1, "resumed without relisting")
            let watchVersions = queries.filter { $0["watch"] == "true" }.compactMap { $0["resourceVersion"].flatMap(Int.init) }
            #expect(watchVersions.count >= 5)
            #expect(watchVersions == watchVersions.sorted() && Set(watchVersions).count == watchVersions.count,
                    "each resume starts from a later version")
        }
    }

    @Test("410 Gone leads to a relist whose difference includes objects deleted meanwhile",
          arguments: [false, true])
    func goneRelists(goneAsHTTPStatus: Bool) async throws {
        try await withServer { server, client in
            server.faults.setGoneAsHTTPStatus(goneAsHTTPStatus)
            let keep = try server.create(service("keep"))
            let doomed = try server.create(service("doomed"))
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { $0.state.count == 2 })
            // Hold the reconnect back while the object is deleted and history compacted away.
            server.faults.setDelay(.milliseconds(400))
            server.faults.dropWatches()
            try server.delete(doomed.ref)
            let added = try server.create(service("added"))
            server.faults.compactNow()
            server.faults.setDelay(.zero)
            #expect(await collector.wait { $0.state.count == 2 && $0.state[added.ref] != nil })
            let relist = try #require(collector.updates.last(where: { $0.listed }))
            #expect(collector.updates.filter(\.listed).count == 2)
            #expect(relist.events.contains(.delete(doomed.ref)), "deletions come with the update completing the list")
            let firstListed = try #require(collector.updates.firstIndex { $0.listed })
            let relistEvents = collector.updates[(firstListed + 1)...].flatMap(\.events)
            #expect(relistEvents.contains(.upsert(added)))
            #expect(!relistEvents.contains(.upsert(keep)), "unchanged objects are not re-sent")
            #expect(collector.state == serverState(server, [.service]))
        }
    }

    @Test("bookmarks advance the resource version, so a resume after compaction needs no relist")
    func bookmarksAdvance() async throws {
        try await withServer(bookmarkInterval: .milliseconds(50)) { server, client in
            try server.create(service("seen"))
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { $0.state.count == 1 })
            let listVersion = Int(collector.updates[0].resourceVersion)!
            // Changes the watcher does not select: they move the revision but produce no events.
            for i in 0..<3 { try server.create(service("hidden-\(i)", labels: [WatchResource.headlessLabel: ""])) }
            let target = server.resourceVersion
            let sent = server.bookmarksSent
            #expect(await collector.wait { _ in server.bookmarksSent >= sent + 2 })
            try await Task.sleep(for: .milliseconds(200)) // let the client read it
            server.faults.compactNow()
            server.faults.dropWatches()
            let after = try server.create(service("after"))
            #expect(await collector.wait { $0.state[after.ref] != nil })
            let queries = recordedQueries(server, path: "/api/v1/services")
            #expect(queries.filter { $0["watch"] == nil }.count == 1, "no relist: the bookmark version was not compacted")
            let resumed = queries.filter { $0["watch"] == "true" }.compactMap { $0["resourceVersion"].flatMap(Int.init) }
            #expect(resumed.first == listVersion)
            #expect(resumed.count >= 2 && resumed[1] >= target)
            #expect(queries.filter { $0["watch"] == "true" }.allSatisfy { $0["allowWatchBookmarks"] == "true" })
        }
    }

    @Test("a malformed object in a watch event yields a diagnostic and the stream goes on")
    func malformedObject() async throws {
        try await withServer { server, client in
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { !$0.updates.isEmpty })
            let bad = #"{"metadata":{"name":"broken","namespace":"default"},"spec":{"ports":"not-a-list"}}"#
            try server.createJSON(.services, Data(bad.utf8))
            let good = try server.create(service("fine"))
            #expect(await collector.wait { $0.state[good.ref] != nil })
            let diagnostics = collector.updates.flatMap(\.diagnostics)
            #expect(diagnostics.count == 1)
            #expect(diagnostics.first?.name == "broken")
            #expect(collector.state.count == 1)
        }
    }

    @Test("transient 500s on LIST are retried with backoff")
    func listRetries() async throws {
        try await withServer { server, client in
            try server.create(service("x"))
            server.faults.failNext(3)
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: fastOptions, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { $0.state.count == 1 })
            #expect(recordedQueries(server, path: "/api/v1/services").filter { $0["watch"] == nil }.count == 4)
        }
    }

    @Test("repeated watch failures back off exponentially; a working connection resets the backoff")
    func watchBackoffGrows() async throws {
        try await withServer { server, client in
            var options = fastOptions
            options.backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5), multiplier: 3, jitter: 0.4)
            let collector = Collector()
            let task = start(ResourceWatcher(client: client, resource: .services(), options: options, logger: quietLogger), into: collector)
            defer { task.cancel() }
            #expect(await collector.wait { !$0.updates.isEmpty })
            #expect(await collector.wait { _ in server.faults.openWatchCount == 1 })
            server.faults.failNext(3)
            server.faults.dropWatches()
            let created = try server.create(service("after-outage"))
            #expect(await collector.wait { $0.state[created.ref] != nil })
            let watches = server.requests.filter { $0.uri.hasPrefix("/api/v1/services?") && $0.uri.contains("watch=true") }
            // The first watch, three failed attempts, then the one that worked.
            #expect(watches.count == 5)
            let gaps = zip(watches.dropFirst(2), watches.dropFirst()).map { $0.time - $1.time }
            #expect(gaps.count == 3)
            // Retry n waits at least 50 ms · 3^(n-1) (jitter only stretches; load only delays further).
            let floors: [Duration] = [.milliseconds(150), .milliseconds(450), .milliseconds(1350)]
            #expect(zip(gaps, floors).allSatisfy { $0 >= $1 }, "each retry waits longer: \(gaps)")
            #expect(recordedQueries(server, path: "/api/v1/services").filter { $0["watch"] == nil }.count == 1)
        }
    }
}
