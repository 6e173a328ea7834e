import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model
import SwitchyardCore
import Sync

final class TestClock: SyncClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = start }
    func now() -> Date { lock.withLock { current } }
    func advance(_ s: Double) { lock.withLock { current = current.addingTimeInterval(s) } }
    func sleep(until deadline: Date) async throws {}
}

/// Parsed Prometheus text: HELP and TYPE per family, samples in order.
struct Exposition {
    var help: [String: String] = [:]
    var type: [String: String] = [:]
    var samples: [(name: String, labels: [String: String], value: Double)] = []

    init(_ text: String) {
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                help[name] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                type[String(parts[2])] = String(parts[3])
            } else {
                let (nameAndLabels, value) = (line.prefix { $0 != " " || false }, line.split(separator: " ").last!)
                var name = String(nameAndLabels), labels: [String: String] = [:]
                if let brace = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                    name = String(line[..<brace])
                    for pair in line[line.index(after: brace)..<close].split(separator: ",") {
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
                    }
                }
                samples.append((name, labels, value == "+Inf" ? .infinity : Double(value)!))
            }
        }
    }

    func values(_ name: String) -> [(labels: [String: String], value: Double)] {
        samples.filter { $0.name == name }.map { ($0.labels, $0.value) }
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}

/// GET over loopback; returns status, body and headers (nil when the connection fails).
func httpGet(_ url: String) async -> (status: Int, body: String, headers: [AnyHashable: Any])? {
    var request = URLRequest(url: URL(string: url)!)
    request.timeoutInterval = 5
    do {
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { return nil }
        return (http.statusCode, String(decoding: data, as: UTF8.self), http.allHeaderFields)
    } catch {
        return nil
    }
}

/// A port that was free a moment ago on 127.0.0.1.
func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return UInt16(bigEndian: addr.sin_port)
}

enum St {
    static let config = NodeConfig(nodeName: "node-a")

    static func port(_ svc: String, ns: String = "default", hc: UInt16?, local: [String], cluster: [String] = [],
                     family: IPFamily = .ipv4, name: String = "http") -> ServicePort {
        let eps = local.map { Endpoint(ip: IPAddress($0)!, port: 8080, isLocal: true) }
        let remote = cluster.map { Endpoint(ip: IPAddress($0)!, port: 8080, isLocal: false) }
        return ServicePort(key: ServicePortKey(service: ServiceName(namespace: ns, name: svc), portName: name, proto: .tcp, family: family),
                           clusterIP: IPAddress(family == .ipv4 ? "10.96.0.10" : "fd00:10:96::10")!, port: 80, nodePort: 30080,
                           externalPolicyLocal: true, healthCheckNodePort: hc,
                           clusterEndpoints: (eps + remote).sorted(), localEndpoints: eps,
                           internalTraffic: eps.isEmpty && remote.isEmpty ? .reject : .forward(.cluster),
                           externalTraffic: eps.isEmpty ? .drop : .forward(.local))
    }

    static func state(_ ports: [ServicePort]) -> ProxyState {
        var s = ProxyState(config: config)
        var grouped: [ServiceName: [ServicePort]] = [:]
        for p in ports { grouped[p.key.service, default: []].append(p) }
        for (name, list) in grouped { s.services[name] = ServiceState(name: name, ports: list) }
        return s
    }
}
