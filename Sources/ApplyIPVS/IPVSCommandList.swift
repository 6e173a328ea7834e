import IPVSNetlink
import RenderIPVS

/// The IPVS commands of a sync, in order, without materialising them: a virtual server the kernel
/// lacks entirely is kept as a reference to the plan's value and expands, when encoded, to its
/// service create followed by one create per real server. A first sync of 10,000 services × 10
/// real servers is then 10,000 entries instead of 110,000 command values (megabytes less memory to
/// allocate and touch, which User-Mode Linux makes expensive). Access by index is O(log entries);
/// sequential access, as the sender does, is what it is built for.
public struct IPVSCommandList: Sendable {
    enum Entry: Sendable {
        case one(IPVSCommand)
        /// `newService` then `newDestination` for each real server, in the plan's order.
        case create(IPVSVirtualServer)
    }

    private(set) var entries: [Entry] = []
    /// The index of each entry's first command.
    private var starts: [Int] = []
    /// The number of commands.
    public private(set) var count = 0

    public init() {}

    public init(_ commands: [IPVSCommand]) {
        entries.reserveCapacity(commands.count)
        starts.reserveCapacity(commands.count)
        for c in commands { append(c) }
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func append(_ c: IPVSCommand) {
        entries.append(.one(c)); starts.append(count); count += 1
    }

    mutating func append(contentsOf other: IPVSCommandList) {
        for e in other.entries {
            switch e {
            case .one(let c): append(c)
            case .create(let vs): create(vs)
            }
        }
    }

    /// Creates `vs` and every one of its real servers.
    mutating func create(_ vs: IPVSVirtualServer) {
        entries.append(.create(vs)); starts.append(count); count += 1 + vs.destinations.count
    }

    /// The command at `i` (0 ..< count).
    public subscript(i: Int) -> IPVSCommand {
        var lo = 0, hi = starts.count - 1 // the last entry starting at or before i
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        switch entries[lo] {
        case .one(let c): return c
        case .create(let vs):
            let offset = i - starts[lo]
            if offset == 0 { return .newService(IPVSConversion.kernelService(vs.service)) }
            return .newDestination(IPVSConversion.kernelKey(vs.key), IPVSConversion.kernelDestination(vs.destinations[offset - 1]))
        }
    }

    /// Every command, materialised (tests and fakes).
    public var commands: [IPVSCommand] { (0..<count).map { self[$0] } }
}
