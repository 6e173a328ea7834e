import Model
import SwitchyardCore

/// The finished restore lines of a run of ports (consecutive in key order), for a full render:
/// `PortRuleWriter` writes them straight into a few large byte buffers, one per kind of line,
/// so there is no string per rule. Chunks are built on every core; the sequential part of a full
/// render then only hands slices of the buffers to `IptablesRestoreBuilder`. The lines are the
/// ones the builder writes for the same `declareChain` and `append` calls.
struct PortTextChunk: Sendable, PortRuleSink {
    /// Where one port's lines end (exclusive) in `declarations` and `chainRules`, and the chains
    /// declared and chain rules written up to and including it.
    struct PortEnd: Sendable {
        var declarations: Int, chainRules: Int
        var chainCount: Int, chainRuleCount: Int
    }

    /// `:CHAIN - [0:0]` lines of the ports' own nat chains.
    private(set) var declarations = ASCIIBuffer()
    /// `-A CHAIN RULE` lines of the ports' own nat chains.
    private(set) var chainRules = ASCIIBuffer()
    /// `-A SWITCHYARD-DISPATCH …`, `-A SWITCHYARD-NODEPORTS …` (nat), `-A SWITCHYARD-SERVICES …`,
    /// `-A SWITCHYARD-CLUSTER-IPS …` (filter) lines.
    private(set) var dispatch = ASCIIBuffer(), nodePorts = ASCIIBuffer(), filter = ASCIIBuffer(), clusterIPs = ASCIIBuffer()
    /// Lines written per `PortRuleSection`, by raw value.
    private(set) var counts = [Int](repeating: 0, count: PortRuleSection.allCases.count)
    private(set) var chainCount = 0
    /// Per port, in order.
    private(set) var ends: [PortEnd] = []
    /// The ports' own nat chains (only when the caller keeps names).
    private(set) var chainNames: [String] = []
    /// Hairpin members of the ports, sorted, without repeats (`HairpinSet.sortedUnique`).
    private(set) var hairpin: [HairpinMember] = []

    private let keepNames: Bool
    /// The buffer of the section being written (`active`); its own field then holds an empty
    /// placeholder. Swapping moves the arrays, without copying or reference counting.
    private var out = ASCIIBuffer()
    private var active: PortRuleSection? = nil
    /// `-A CHAIN ` of the chain `.chain` rules go to.
    private var chainHead = ""

    /// What a chunk needs to know of a port before writing it (reading a port out of the state
    /// copies it, so each port is read once for this).
    struct Shape: Sendable {
        var family: IPFamily
        /// Cluster and local endpoints (the DNAT rules are about as many).
        var endpoints: Int
        init(_ p: ServicePort) { family = p.key.family; endpoints = p.clusterEndpoints.count + p.localEndpoints.count }
    }

    /// The lines of the ports `ports[i]`, `i` in `indices` (in key order, all of `ctx.family`);
    /// `shapes` by index into `ports`.
    init(_ ports: KeyOrderedPorts, _ indices: ArraySlice<Int>, shapes: [Shape], _ ctx: IptablesContext, keepNames: Bool) {
        self.keepNames = keepNames
        var endpoints = 0
        for i in indices { endpoints += shapes[i].endpoints }
        let count = indices.count
        // About 110 bytes per DNAT rule; the rest per port. A low estimate only costs a regrowth.
        chainRules.reserveCapacity(endpoints * 110 + count * 160)
        declarations.reserveCapacity(count * 80)
        dispatch.reserveCapacity(count * 100)
        clusterIPs.reserveCapacity(count * 50)
        ends.reserveCapacity(count)
        hairpin.reserveCapacity(endpoints)
        for i in indices { add(ports[i], ctx) }
        // Sorted here, on every core: the full render then sorts runs with far fewer repeats.
        hairpin = HairpinSet.sortedUnique(hairpin)
    }

    private mutating func add(_ p: ServicePort, _ ctx: IptablesContext) {
        PortRuleWriter.write(p, ctx, into: &self)
        park()
        ends.append(PortEnd(declarations: declarations.count, chainRules: chainRules.count,
                            chainCount: chainCount, chainRuleCount: counts[PortRuleSection.chain.rawValue]))
        let proto = p.key.proto
        PortRules.forEachHairpinEndpoint(p) { hairpin.append(HairpinMember(ip: $0.ip, proto: proto, port: $0.port)) }
    }

    /// Lines of a shared chain.
    func lines(_ section: PortRuleSection) -> (text: ASCIIBuffer, count: Int) {
        switch section {
        case .chain: return (chainRules, counts[section.rawValue])
        case .dispatch: return (dispatch, counts[section.rawValue])
        case .nodePorts: return (nodePorts, counts[section.rawValue])
        case .filter: return (filter, counts[section.rawValue])
        case .clusterIPs: return (clusterIPs, counts[section.rawValue])
        }
    }

    // MARK: PortRuleSink

    mutating func beginChain(_ name: String) {
        declarations.write(byte: UInt8(ascii: ":")); declarations.write(name); declarations.write(" - [0:0]\n")
        chainCount += 1
        chainHead = "-A " + name + " "
        if keepNames { chainNames.append(name) }
    }

    mutating func beginRule(_ section: PortRuleSection) {
        if active != section {
            park()
            swapOut(section)
            active = section
        }
        out.write(section == .chain ? chainHead : Self.heads[section.rawValue])
    }

    /// `-A CHAIN ` of each shared chain, by section.
    private static let heads = PortRuleSection.allCases.map { $0.sharedChain.map { "-A \($0) " } ?? "" }

    mutating func write(_ s: String) { out.write(s) }
    mutating func write(_ ip: IPAddress) { out.write(ip) }
    mutating func write(number v: UInt32) { out.write(number: v) }
    mutating func write(bracketed ip: IPAddress, port: UInt16) { out.write(bracketed: ip, port: port) }

    mutating func endRule() {
        out.write(byte: UInt8(ascii: "\n"))
        counts[active!.rawValue] += 1
    }

    /// Puts the active buffer back into its field.
    private mutating func park() {
        guard let a = active else { return }
        swapOut(a)
        active = nil
    }

    private mutating func swapOut(_ section: PortRuleSection) {
        switch section {
        case .chain: swap(&out, &chainRules)
        case .dispatch: swap(&out, &dispatch)
        case .nodePorts: swap(&out, &nodePorts)
        case .filter: swap(&out, &filter)
        case .clusterIPs: swap(&out, &clusterIPs)
        }
    }
}
