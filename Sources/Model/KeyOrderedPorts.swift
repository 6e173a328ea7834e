/// Service ports in key order, read in place from their services (`ProxyState.keyOrderedPorts`).
public struct KeyOrderedPorts: RandomAccessCollection, Sendable {
    /// The services, sorted by name.
    let services: [(key: ServiceName, value: ServiceState)]
    /// Per port: service index (high 32 bits) and port index in that service.
    let locations: [UInt64]

    public var startIndex: Int { 0 }
    public var endIndex: Int { locations.count }

    public subscript(i: Int) -> ServicePort {
        _read {
            let l = locations[i]
            yield services[Int(truncatingIfNeeded: l >> 32)].value.ports[Int(truncatingIfNeeded: l & 0xffff_ffff)]
        }
    }
}
