import Foundation
import SwitchyardCore

/// Parses `ip -j address show` output into (interface, address) pairs. Pure; bad input gives [].
public enum InterfaceAddressListing {
    public struct Entry: Sendable, Equatable {
        public var interface: String
        public var address: IPAddress
    }

    struct Link: Decodable {
        var ifname: String?
        var addr_info: [Address]?
    }

    struct Address: Decodable {
        var local: String?
    }

    public static func parse(json: String) -> [Entry] {
        guard let links = try? JSONDecoder().decode([Link].self, from: Data(json.utf8)) else { return [] }
        return links.flatMap { link in
            (link.addr_info ?? []).compactMap { info in
                guard let name = link.ifname, let text = info.local, let address = IPAddress(text) else { return nil }
                return Entry(interface: name, address: address)
            }
        }
    }
}
