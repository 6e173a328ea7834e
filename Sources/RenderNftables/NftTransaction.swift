import SwitchyardCore
/// An ordered list of commands on our tables that `nft -f` applies as ONE atomic transaction.
public struct NftTransaction: Hashable, Sendable {
    /// The table name in every family (`switchyard`).
    public var table: String
    public var commands: [NftCommand]

    public init(table: String = "switchyard", commands: [NftCommand] = []) { self.table = table; self.commands = commands }

    /// This transaction without the per-count objects that already exist: frontend sets
    /// (`cip_3`, `cipaff_3_10800`), endpoint maps (`cip_eps_3`), affinity position maps
    /// (`cipaff_eps_0`) and recent-client sets (`aff_addr_0`) `setExists` reports, shared chains
    /// (`cip-3`, `cipaff-3-10800`, with their rules) `chainExists` reports, and dispatch rules of
    /// existing frontend sets (a rule added twice would match twice).
    public func droppingExisting(sets setExists: (NftFamily, String) -> Bool,
                                 chains chainExists: (NftFamily, String) -> Bool) -> NftTransaction {
        var t = self
        t.commands = commands.filter { c in
            switch c {
            case .addSet(let f, let s, _):
                return !(Self.isShared(set: s.name) && setExists(f, s.name))
            case .addChain(let f, let ch):
                return !(Self.isShared(chain: ch.name) && chainExists(f, ch.name))
            case .addRule(let f, let chain, let r):
                if Self.isShared(chain: chain) { return !chainExists(f, chain) }
                guard let set = Self.dispatchTarget(chain: chain, rule: r, family: f) else { return true }
                return !setExists(f, set)
            default: return true
            }
        }
        return t
    }

    /// A set or map shared by many ports that a delta only ever adds.
    static func isShared(set name: String) -> Bool {
        NftSharedChain(frontendSet: name) != nil || NftSharedChain(endpointMap: name) != nil
            || NftAffinityChain(frontendSet: name) != nil || NftAffinityChain.positionMap(parsing: name) != nil
            || NftAffinityChain.recentSet(parsing: name) != nil
    }

    /// A shared chain (per count, or per affinity count and timeout).
    static func isShared(chain name: String) -> Bool { NftSharedChain(chain: name) != nil || NftAffinityChain(chain: name) != nil }

    /// The frontend set of the shared chain a dispatch rule sends to, when `rule` in `chain` is one.
    static func dispatchTarget(chain: String, rule: NftRule, family: NftFamily) -> String? {
        guard let target = rule.text.split(separator: " ").last else { return nil }
        if let c = NftSharedChain(chain: String(target)) {
            return c.path.dispatchChain == chain && NftRules.dispatch(c, family: family) == rule ? c.setName : nil
        }
        if let c = NftAffinityChain(chain: String(target)) {
            return c.dispatchChain == chain && c.dispatchRule(family: family) == rule ? c.setName : nil
        }
        return nil
    }

    /// Elements per `add element` line; keeps lines and netlink batches moderate.
    static let elementChunk = 1000

    /// The script for `nft -f`: one command per line.
    public var text: String {
        var w = ASCIIBuffer(capacity: estimatedTextSize)
        for c in commands { line(c, into: &w) }
        return w.string
    }

    private func line(_ c: NftCommand, into w: inout ASCIIBuffer) {
        switch c {
        case .addTable(let f): w.write("add table \(f.rawValue) \(table)\n")
        case .deleteTable(let f): w.write("delete table \(f.rawValue) \(table)\n")
        case .addChain(let f, let ch):
            w.write("add chain \(f.rawValue) \(table) \(ch.name)")
            if let h = ch.hook { w.write(" { type \(h.type) hook \(h.hook) priority \(h.priority); policy accept; }") }
            w.write("\n")
        case .flushChain(let f, let n): w.write("flush chain \(f.rawValue) \(table) \(n)\n")
        case .deleteChain(let f, let n): w.write("delete chain \(f.rawValue) \(table) \(n)\n")
        case .addSet(let f, let s, let isMap):
            w.write("add \(isMap ? "map" : "set") \(f.rawValue) \(table) \(s.name) { \(s.spec);")
            if !s.flags.isEmpty { w.write(" flags \(s.flags.joined(separator: ","));") }
            if let t = s.timeoutSeconds { w.write(" timeout \(t)s;") }
            if let n = s.size { w.write(" size \(n);") }
            w.write(" }\n")
        case .deleteSet(let f, let n, let isMap): w.write("delete \(isMap ? "map" : "set") \(f.rawValue) \(table) \(n)\n")
        case .flushSet(let f, let n, let isMap): w.write("flush \(isMap ? "map" : "set") \(f.rawValue) \(table) \(n)\n")
        case .addRule(let f, let chain, let r): w.write("add rule \(f.rawValue) \(table) \(chain) \(r.text)\n")
        case .addElements(let f, let set, let els):
            let head = "add element \(f.rawValue) \(table) \(set) { "
            for chunk in Self.chunks(els) {
                w.write(head)
                for (i, e) in zip(chunk.indices, chunk) {
                    if i > chunk.startIndex { w.write(", ") }
                    e.write(into: &w)
                }
                w.write(" }\n")
            }
        case .deleteElements(let f, let set, let els):
            let head = "delete element \(f.rawValue) \(table) \(set) { "
            for chunk in Self.chunks(els) {
                w.write(head)
                for (i, e) in zip(chunk.indices, chunk) {
                    if i > chunk.startIndex { w.write(", ") }
                    e.writeKey(into: &w)
                }
                w.write(" }\n")
            }
        }
    }

    /// A rough size of `text` in bytes (element lines dominate), to reserve the string once.
    private var estimatedTextSize: Int {
        commands.reduce(0) { n, c in
            switch c {
            case .addElements(_, _, let els), .deleteElements(_, _, let els): return n + 64 * els.count
            default: return n + 128
            }
        }
    }

    static func chunks(_ els: [NftElement]) -> [ArraySlice<NftElement>] {
        stride(from: 0, to: els.count, by: elementChunk).map { els[$0..<min($0 + elementChunk, els.count)] }
    }

    /// A JSON description: `{"table":…,"commands":[{"op":…,"family":…,…}]}`.
    public var json: String {
        var items: [String] = []
        for c in commands { items.append(Self.json(c)) }
        return "{\"table\":\(JSONText.string(table)),\"commands\":[\n" + items.joined(separator: ",\n") + "\n]}\n"
    }

    static func json(_ c: NftCommand) -> String {
        func obj(_ op: String, _ f: NftFamily, _ fields: [(String, String)]) -> String {
            let all = [("op", JSONText.string(op)), ("family", JSONText.string(f.rawValue))] + fields
            return "{" + all.map { "\(JSONText.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        }
        func els(_ e: [NftElement]) -> String {
            "[" + e.map { el in
                var f = [("key", "[" + el.keyComponents.map(JSONText.string).joined(separator: ",") + "]")]
                if let v = el.dataText { f.append(("value", JSONText.string(v))) }
                if let c = el.comment { f.append(("comment", JSONText.string(c))) }
                return "{" + f.map { "\(JSONText.string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
            }.joined(separator: ",") + "]"
        }
        switch c {
        case .addTable(let f): return obj("add-table", f, [])
        case .deleteTable(let f): return obj("delete-table", f, [])
        case .addChain(let f, let ch):
            var fields = [("chain", JSONText.string(ch.name))]
            if let h = ch.hook {
                fields += [("type", JSONText.string(h.type)), ("hook", JSONText.string(h.hook)), ("priority", String(h.priority))]
            }
            return obj("add-chain", f, fields)
        case .flushChain(let f, let n): return obj("flush-chain", f, [("chain", JSONText.string(n))])
        case .deleteChain(let f, let n): return obj("delete-chain", f, [("chain", JSONText.string(n))])
        case .addSet(let f, let s, let isMap):
            var fields = [("name", JSONText.string(s.name)), ("spec", JSONText.string(s.spec)),
                          ("flags", "[" + s.flags.map(JSONText.string).joined(separator: ",") + "]")]
            if let t = s.timeoutSeconds { fields.append(("timeout", String(t))) }
            if let n = s.size { fields.append(("size", String(n))) }
            return obj(isMap ? "add-map" : "add-set", f, fields)
        case .deleteSet(let f, let n, let isMap): return obj(isMap ? "delete-map" : "delete-set", f, [("name", JSONText.string(n))])
        case .flushSet(let f, let n, let isMap): return obj(isMap ? "flush-map" : "flush-set", f, [("name", JSONText.string(n))])
        case .addRule(let f, let chain, let r): return obj("add-rule", f, [("chain", JSONText.string(chain)), ("rule", JSONText.string(r.text))])
        case .addElements(let f, let set, let e): return obj("add-elements", f, [("set", JSONText.string(set)), ("elements", els(e))])
        case .deleteElements(let f, let set, let e): return obj("delete-elements", f, [("set", JSONText.string(set)), ("elements", els(e))])
        }
    }
}

