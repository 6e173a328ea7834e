import RenderNftables

extension NftNetlink {
    /// Encodes a whole delta transaction as one batch's messages, in command order, or nil when a
    /// command is outside what the codecs know (then the transaction goes through nft whole).
    ///
    /// Known: element adds/deletes (`NftElementCodec`), regular chains added, flushed and deleted,
    /// rules with a typed form (`NftRuleCodec`), sets deleted, affinity sets added (`NftSetCodec`),
    /// and `add set` of any set that already exists (`setExists`, the applier's record) and is not
    /// deleted earlier in the transaction — nft's `add` keeps an existing set, so it sends nothing. `lines` maps each message
    /// to the 0-based line of `t.text` it comes from, so a refusal names the script line.
    static func encode(_ t: NftTransaction, firstSeq: UInt32, setExists: (NftFamily, String) -> Bool) -> Encoded? {
        var out = Encoded()
        var line = 0
        var deletedSets = Set<String>()
        func add(_ m: [UInt8]) {
            out.messages.append(m)
            out.lines.append(line)
        }
        func seq() -> UInt32 { firstSeq &+ UInt32(out.messages.count) }
        for c in t.commands {
            switch c {
            case .addElements(let f, let set, let els), .deleteElements(let f, let set, let els):
                var add = false
                if case .addElements = c { add = true }
                let op = Op(add: add, family: f, table: t.table, set: set, elements: els)
                guard let e = encode([op], firstSeq: seq()) else { return nil }
                out.messages += e.messages
                out.lines += e.lines.map { $0 + line }
                line += (els.count + 999) / 1000   // `add/delete element` lines of 1000
                continue
            case .addChain(let f, let ch):
                guard ch.hook == nil else { return nil }
                add(NftRuleCodec.newChainMessage(family: f, table: t.table, chain: ch.name, seq: seq()))
            case .flushChain(let f, let name):
                add(NftRuleCodec.flushChainMessage(family: f, table: t.table, chain: name, seq: seq()))
            case .deleteChain(let f, let name):
                add(NftRuleCodec.delChainMessage(family: f, table: t.table, chain: name, seq: seq()))
            case .addRule(let f, let chain, let rule):
                guard let m = NftRuleCodec.newRuleMessage(family: f, table: t.table, chain: chain, rule: rule, seq: seq()) else { return nil }
                add(m)
            case .addSet(let f, let s, _):
                if setExists(f, s.name) && !deletedSets.contains("\(f.rawValue) \(s.name)") { break }
                guard let m = NftSetCodec.newSetMessage(family: f, table: t.table, set: s, seq: seq()) else { return nil }
                add(m)
            case .deleteSet(let f, let name, _):
                deletedSets.insert("\(f.rawValue) \(name)")
                add(NftRuleCodec.delSetMessage(family: f, table: t.table, set: name, seq: seq()))
            case .addTable, .deleteTable, .flushSet:
                return nil
            }
            line += 1
        }
        out.bytes = out.messages.reduce(0) { $0 + $1.count }
        return out
    }

    /// The messages creating `chains` with their rules (NEWCHAIN, then one NEWRULE per rule), or nil
    /// when a rule has no typed form.
    static func encodeChains(_ chains: [NftLoadPlan.Chain], table: String, firstSeq: UInt32) -> [[UInt8]]? {
        var out: [[UInt8]] = []
        out.reserveCapacity(chains.reduce(0) { $0 + 1 + $1.rules.count })
        for ch in chains {
            out.append(NftRuleCodec.newChainMessage(family: ch.family, table: table, chain: ch.name, seq: firstSeq &+ UInt32(out.count)))
            for r in ch.rules {
                guard let m = NftRuleCodec.newRuleMessage(family: ch.family, table: table, chain: ch.name, rule: r,
                                                          seq: firstSeq &+ UInt32(out.count)) else { return nil }
                out.append(m)
            }
        }
        return out
    }
}
