import Foundation
import SwitchyardCore
import TestCluster
import Testing

/// How the affinity tests change a service's endpoints: the daemon's incremental syncs (kubectl
/// replace through the test API server), or a second `run --once` (a full sync over the existing
/// ruleset, as after a restart).
enum AffinitySync: String, Sendable, CaseIterable, CustomStringConvertible {
    case daemon
    case once

    var description: String { rawValue }
}

extension TrafficTests {
    /// ClientIP affinity while endpoints come and go: several clients (distinct source addresses on
    /// the external client) are pinned, then endpoints are removed. A client whose endpoint stays
    /// keeps it; a client whose endpoint left is never sent there again and sticks to its new one.
    @Suite("ClientIP affinity across endpoint changes", .enabled(if: DaemonLab.kubectlAvailable, "needs /usr/bin/kubectl"))
    struct AffinityChanges {
        static let vip = Addr.svc(60)
        /// Extra source addresses of the external client (203.0.113.10…): one affinity client each.
        static let clientAddresses = (10..<18).map { IPAddress("203.0.113.\($0)")! }
        static let probeTimeout: Duration = .seconds(2)

        @Test("a client keeps its endpoint when unrelated endpoints of the service are removed",
              arguments: TrafficBackend.tested, AffinitySync.allCases)
        func unrelatedEndpointRemoved(backend: TrafficBackend, sync: AffinitySync) throws {
            try AffinityBench.with(backend, sync) { bench in
                var pins = try bench.pinAll()
                // Two rounds (4 → 3 → 2 endpoints), each removing an endpoint the first client is not
                // pinned to in either protocol; the other clients cover both cases. (nftables: the
                // endpoint at the removed one's position moves there; its clients may pick again —
                // README "Deliberate differences" — so client 1 is only checked when its endpoints
                // did not move.)
                var remaining = AffinityBench.endpoints
                for round in 1...2 {
                    let first = Set(pins.filter { $0.key.client == Self.clientAddresses[0] }.values)
                    let removed = try #require(remaining.first { !first.contains($0) }, "an endpoint nobody of client 1 uses")
                    remaining.removeAll { $0 == removed }
                    let moved = try bench.setEndpoints(remaining, removed: [removed])
                    pins = try bench.checkAfterRemoval(of: [removed], pins: pins, round: round, moved: moved)
                    if moved.values.allSatisfy({ $0.isDisjoint(with: first) }) {
                        #expect(Set(pins.filter { $0.key.client == Self.clientAddresses[0] }.values) == first,
                                "round \(round): client 1 kept \(first) after \(removed) left")
                    }
                }
            }
        }

        @Test("a client whose endpoint is removed is never sent there again and sticks to its new endpoint",
              arguments: TrafficBackend.tested, AffinitySync.allCases)
        func pinnedEndpointRemoved(backend: TrafficBackend, sync: AffinitySync) throws {
            try AffinityBench.with(backend, sync) { bench in
                var pins = try bench.pinAll()
                var remaining = AffinityBench.endpoints
                // Round 1 removes client 1's TCP endpoint (and its UDP one if different); round 2
                // removes the endpoint client 1 moved to over TCP.
                for round in 1...2 {
                    let mine = pins.filter { $0.key.client == Self.clientAddresses[0] }
                    let tcp = try #require(mine[AffinityBench.Pin(client: Self.clientAddresses[0], proto: .tcp)], "client 1 pinned over TCP")
                    let removed: Set<String> = round == 1 ? Set(mine.values) : [tcp]
                    remaining.removeAll { removed.contains($0) }
                    guard !remaining.isEmpty else { break }
                    let moved = try bench.setEndpoints(remaining, removed: removed)
                    pins = try bench.checkAfterRemoval(of: removed, pins: pins, round: round, moved: moved)
                    for (pin, pod) in pins where pin.client == Self.clientAddresses[0] {
                        #expect(!removed.contains(pod), "round \(round): client 1 \(pin.proto) moved off \(removed): \(pod)")
                    }
                }
            }
        }

        @Test("different clients are balanced independently and each keeps its own endpoint",
              arguments: TrafficBackend.tested)
        func clientsIndependent(backend: TrafficBackend) throws {
            try AffinityBench.with(backend, .once, protocols: [.tcp, .udp]) { bench in
                let pins = try bench.pinAll()
                for proto in bench.protocols {
                    let chosen = Set(pins.filter { $0.key.proto == proto }.values)
                    // 8 clients each pick uniformly among 4 endpoints: all on one has probability 4⁻⁷.
                    #expect(chosen.count > 1, "\(proto): \(Self.clientAddresses.count) clients all pinned to \(chosen)")
                }
                // Probing every other client did not move any of them.
                let again = try bench.pinAll()
                #expect(again == pins, "pins after a second round: \(again) vs \(pins)")
            }
        }
    }
}

/// A `ProxyLab` (and for `.daemon` a running daemon) serving one ClientIP-affinity service
/// `sticky` at `AffinityChanges.vip`, with affinity clients on the external client.
final class AffinityBench: @unchecked Sendable {
    typealias Tests = TrafficTests.AffinityChanges
    static let endpoints = ["a1", "a2", "b1", "b2"]

    /// One affinity decision: a client address and protocol.
    struct Pin: Hashable, CustomStringConvertible {
        var client: IPAddress
        var proto: L4Protocol
        var description: String { "\(client)/\(proto)" }
    }

    let lab: ProxyLab
    let daemonLab: DaemonLab?
    /// The service's name (its ports' affinity slots hash it).
    let name: String
    /// The endpoints the service starts with.
    let initial: [String]
    /// The protocols probed per client.
    let protocols: [L4Protocol]

    private init(lab: ProxyLab, daemonLab: DaemonLab?, protocols: [L4Protocol], name: String, initial: [String]) {
        self.lab = lab; self.daemonLab = daemonLab; self.protocols = protocols; self.name = name; self.initial = initial
    }

    /// Runs `body` on a fresh bench. `protocols` defaults to TCP and UDP with the daemon, TCP with
    /// `run --once`: `--once` deletes no conntrack entries, so a UDP probe that happens to reuse
    /// the source port of an earlier one would follow its entry to a removed endpoint.
    static func with(_ backend: TrafficBackend, _ sync: AffinitySync, protocols: [L4Protocol]? = nil,
                     name: String = "sticky", initial: [String] = endpoints,
                     _ body: (AffinityBench) throws -> Void) throws {
        let protocols = protocols ?? (sync == .daemon ? [.tcp, .udp] : [.tcp])
        switch sync {
        case .once:
            try ProxyLab.with(backend) { lab in
                let bench = AffinityBench(lab: lab, daemonLab: nil, protocols: protocols, name: name, initial: initial)
                try bench.start()
                try body(bench)
            }
        case .daemon:
            try DaemonLab.with(backend) { d in
                _ = try d.startDaemon()
                let bench = AffinityBench(lab: d.lab, daemonLab: d, protocols: protocols, name: name, initial: initial)
                try bench.start()
                try body(bench)
            }
        }
    }

    func service(_ eps: [String]) -> ServiceSpec {
        var s = ServiceSpec(name, clusterIPs: [Tests.vip],
                            ports: [PortSpec("http", .tcp, 80, target: ProxyLab.podPort), PortSpec("dns", .udp, 53, target: ProxyLab.podPort)],
                            endpoints: eps.map(lab.pod))
        s.clientIPAffinity = true
        return s
    }

    private func start() throws {
        for address in Tests.clientAddresses {
            try lab.cluster.ip(in: lab.client, ["addr", "add", "\(address)/24", "dev", lab.client.interface])
        }
        if let d = daemonLab {
            try d.create(ManifestSet([service(initial)]))
            try waitForRuleset { text in
                Self.mentions(text, Tests.vip) && initial.allSatisfy { Self.mentions(text, self.lab.pod($0).ipv4) }
            }
        } else {
            try lab.apply(ManifestSet([service(initial)]))
        }
    }

    /// Replaces the service's endpoints and waits until the rules name `eps` and no longer the removed
    /// pods. Returns, per protocol, the surviving endpoints whose nftables position changed (their
    /// clients may pick again); empty for other backends.
    @discardableResult
    func setEndpoints(_ eps: [String], removed: Set<String>) throws -> [L4Protocol: Set<String>] {
        let before = try positions()
        try replaceEndpoints(eps, removed: removed)
        let after = try positions()
        var moved: [L4Protocol: Set<String>] = [:]
        for (proto, was) in before {
            moved[proto] = Set(was.keys.filter { pod in after[proto]?[pod].map { $0 != was[pod] } ?? false })
            // Swap-remove: each removed endpoint's position is filled by at most one other (also
            // across a restart: `run --once` reads the positions back from the kernel).
            #expect(moved[proto]!.count <= removed.count, "\(proto): \(was) → \(after[proto] ?? [:])")
        }
        #expect(lab.backend != .nftables || !before.isEmpty, "positions listed")
        return moved
    }

    /// nftables: per protocol, the position of each of the service's pods in the ClusterIP
    /// frontend's affinity position maps (`cipaff_eps_<k>`), from the ruleset listing.
    func positions() throws -> [L4Protocol: [String: Int]] {
        guard lab.backend == .nftables else { return [:] }
        let text = try lab.ruleset()
        let byIP = Dictionary(AffinityBench.endpoints.map { (lab.pod($0).ipv4.description, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [L4Protocol: [String: Int]] = [:]
        var position: Int?
        for line in text.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("map cipaff_eps_") {
                position = Int(t.dropFirst("map cipaff_eps_".count).split(separator: " ")[0])
            } else if t.hasPrefix("map ") || t.hasPrefix("set ") || t.hasPrefix("chain ") {
                position = nil
            }
            guard let k = position else { continue }
            for (proto, port) in [(L4Protocol.tcp, 80), (.udp, 53)] {
                let key = "\(Tests.vip) . \(proto.lowercased) . \(port) : "
                for part in t.components(separatedBy: key).dropFirst() {
                    let ip = String(part.split(separator: " ")[0])
                    if let pod = byIP[ip] { out[proto, default: [:]][pod] = k }
                }
            }
        }
        return out
    }

    private func replaceEndpoints(_ eps: [String], removed: Set<String>) throws {
        if let d = daemonLab {
            try d.replace(ManifestSet([service(eps)]))
            try waitForRuleset { text in
                !removed.contains { Self.mentions(text, self.lab.pod($0).ipv4) } && eps.allSatisfy { Self.mentions(text, self.lab.pod($0).ipv4) }
            }
        } else {
            try lab.apply(ManifestSet([service(eps)]))
            let text = try lab.ruleset()
            #expect(!removed.contains { Self.mentions(text, lab.pod($0).ipv4) }, "run --once removed \(removed)")
        }
    }

    /// Convergence only: the daemon's sync is asynchronous.
    private func waitForRuleset(_ done: (String) -> Bool) throws {
        let converged = try daemonLab!.eventually(.seconds(30)) { done(try lab.ruleset()) }
        try #require(converged, "the daemon's rules converged: \(daemonLab!.daemon?.errorOutput ?? "")")
    }

    /// The one pod answering every probe of `pin` (`count` fresh connections), or nil after
    /// recording why not.
    func sticky(_ pin: Pin, count: Int = 8) throws -> String? {
        let port: UInt16 = pin.proto == .tcp ? 80 : 53
        let results = try lab.probe(from: lab.client, pin.proto, Tests.vip, port, count: count, bind: pin.client, timeout: Tests.probeTimeout)
        #expect(results.allAnswered, "\(pin): \(results.lines)")
        #expect(results.answerers.count == 1, "\(pin) sticks to one pod: \(results.lines)")
        return results.allAnswered && results.answerers.count == 1 ? results.answerers.first : nil
    }

    /// Every client's endpoint per protocol (each asserted sticky).
    func pinAll() throws -> [Pin: String] {
        var pins: [Pin: String] = [:]
        for client in Tests.clientAddresses {
            for proto in protocols {
                let pin = Pin(client: client, proto: proto)
                pins[pin] = try #require(try sticky(pin), "\(pin) pinned")
            }
        }
        return pins
    }

    /// After `removed` left: a client pinned elsewhere keeps its endpoint; a client pinned to a
    /// removed one never reaches it again and sticks to a remaining one. Returns the new pins.
    /// `moved`: per protocol, endpoints whose position changed (nftables): their clients may pick again.
    func checkAfterRemoval(of removed: Set<String>, pins: [Pin: String], round: Int,
                           moved: [L4Protocol: Set<String>] = [:]) throws -> [Pin: String] {
        var next: [Pin: String] = [:]
        for (pin, old) in pins.sorted(by: { $0.key.description < $1.key.description }) {
            let port: UInt16 = pin.proto == .tcp ? 80 : 53
            let results = try lab.probe(from: lab.client, pin.proto, Tests.vip, port, count: 10, bind: pin.client, timeout: Tests.probeTimeout)
            #expect(results.allAnswered, "round \(round) \(pin): \(results.lines)")
            #expect(results.answerers.isDisjoint(with: removed), "round \(round) \(pin): a removed endpoint \(removed) answered: \(results.lines)")
            #expect(results.answerers.count == 1, "round \(round) \(pin) (was \(old)) sticks to one pod: \(results.lines)")
            if !removed.contains(old) && !(moved[pin.proto]?.contains(old) ?? false) {
                #expect(results.answerers == [old], "round \(round) \(pin) keeps \(old) after \(removed) left: \(results.lines)")
            }
            guard let now = results.answerers.first, results.answerers.count == 1 else { continue }
            next[pin] = now
        }
        // Afterwards each moved client stays on its new endpoint.
        for (pin, old) in pins where removed.contains(old) || (moved[pin.proto]?.contains(old) ?? false) {
            guard let now = next[pin] else { continue }
            let later = try sticky(pin, count: 6)
            #expect(later == now, "round \(round) \(pin) stays on its new endpoint \(now): \(later ?? "-")")
        }
        return next
    }

    /// Whether `text` names `address` (not as the prefix of a longer address).
    static func mentions(_ text: String, _ address: IPAddress) -> Bool {
        let needle = address.description
        var rest = text[...]
        while let r = rest.range(of: needle) {
            guard let next = rest[r.upperBound...].first, next.isNumber else { return true }
            rest = rest[r.upperBound...]
        }
        return false
    }
}
