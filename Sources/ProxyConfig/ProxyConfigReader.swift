import Foundation
import SwitchyardCore
import Yams

/// Walks the YAML/JSON tree of a KubeProxyConfiguration field by field: known fields are validated
/// (an invalid value throws naming the field), unknown ones become warnings, accepted-but-unapplied
/// ones become notes.
struct ProxyConfigReader {
    private var out = ProxyConfigFile()

    static func read(_ text: String) throws(ProxyConfigError) -> ProxyConfigFile {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ProxyConfigError(field: nil, message: "not valid YAML or JSON: \(error)")
        }
        guard let root, case .mapping(let top) = root else {
            throw ProxyConfigError(field: nil, message: "expected a KubeProxyConfiguration object (a mapping)")
        }
        var reader = ProxyConfigReader()
        do { try reader.readTop(top) } catch let error as ProxyConfigError { throw error } catch {
            throw ProxyConfigError(field: nil, message: "\(error)")
        }
        return reader.out
    }

    // MARK: - Sections

    private mutating func readTop(_ map: Node.Mapping) throws {
        for (key, value) in try fields(map, path: "") {
            switch key {
            case "apiVersion":
                let v = try string(value, key)
                guard v == nil || v == ProxyConfigFile.apiVersion else {
                    throw invalid(key, "must be \(ProxyConfigFile.apiVersion), not \(quoted(v ?? ""))")
                }
            case "kind":
                let v = try string(value, key)
                guard v == nil || v == ProxyConfigFile.kind else { throw invalid(key, "must be \(ProxyConfigFile.kind), not \(quoted(v ?? ""))") }
            case "mode": out.mode = try mode(value, key)
            case "clusterCIDR": out.clusterCIDRs = try cidrList(value, key)
            case "hostnameOverride": out.hostnameOverride = try string(value, key).flatMap { $0.isEmpty ? nil : $0 }
            case "bindAddress":
                out.bindAddress = try parsed(value, key, "an IP address") { IPAddress($0) }
                if out.bindAddress != nil { note(key, "kube-proxy only uses it to pick the primary IP family") }
            case "healthzBindAddress":
                out.healthzBindAddress = try parsed(value, key, "IP:port (like 0.0.0.0:10256)") { BindAddress.parse($0, defaultPort: 10256) }
            case "metricsBindAddress":
                out.metricsBindAddress = try parsed(value, key, "IP:port (like 127.0.0.1:10249)") { BindAddress.parse($0, defaultPort: 10249) }
            case "nodePortAddresses": out.nodePortAddresses = try nodePortAddresses(value, key)
            case "iptables": out.iptables = try modeSection(value, key, extra: ["masqueradeBit": .masqueradeBit, "localhostNodePorts": .bool])
            case "nftables": out.nftables = try modeSection(value, key, extra: ["masqueradeBit": .masqueradeBit])
            case "ipvs": out.ipvs = try ipvsSection(value, key)
            case "detectLocalMode": out.detectLocalMode = try detectLocalMode(value, key)
            case "detectLocal": if try mapping(value, key) != nil { note(key, "only used by NodeCIDR/BridgeInterface/InterfaceNamePrefix modes") }
            case "conntrack": out.conntrack = try conntrack(value, key)
            case "clientConnection": try clientConnection(value, key)
            case "oomScoreAdj":
                if let v = try int(value, key) {
                    guard (-1000...1000).contains(v) else { throw invalid(key, "must be between -1000 and 1000") }
                    note(key)
                }
            case "featureGates", "logging", "winkernel":
                if try mapping(value, key) != nil { note(key) }
            case "enableProfiling", "bindAddressHardFail":
                if try bool(value, key) != nil { note(key) }
            case "configSyncPeriod":
                if try duration(value, key) != nil { note(key) }
            case "portRange", "showHiddenMetricsForVersion":
                if let v = try string(value, key), !v.isEmpty { note(key) }
            default: warnUnknown(key)
            }
        }
    }

    private enum Extra { case masqueradeBit, bool, durationNote, stringListNote }

    /// `iptables` / `nftables` (and the shared part of `ipvs`): syncPeriod, minSyncPeriod, masqueradeAll.
    private mutating func modeSection(_ value: Node, _ path: String, extra: [String: Extra],
                                      scheduler: Bool = false) throws -> ProxyConfigFile.ModeSettings {
        var settings = ProxyConfigFile.ModeSettings()
        guard let map = try mapping(value, path) else { return settings }
        for (key, v) in try fields(map, path: path) {
            let field = "\(path).\(key)"
            switch key {
            case "syncPeriod":
                settings.syncPeriod = try duration(v, field)
                if settings.syncPeriod == 0 { throw invalid(field, "must be greater than zero") }
            case "minSyncPeriod": settings.minSyncPeriod = try duration(v, field)
            case "masqueradeAll": settings.masqueradeAll = try bool(v, field)
            case "scheduler" where scheduler: out.ipvsScheduler = try ipvsScheduler(v, field)
            default:
                switch extra[key] {
                case .masqueradeBit?:
                    if let bit = try int(v, field) {
                        guard (0...31).contains(bit) else { throw invalid(field, "must be between 0 and 31") }
                        note(field, "Switchyard's rules use their own marks")
                    }
                case .bool?: if try bool(v, field) != nil { note(field) }
                case .durationNote?: if try duration(v, field) != nil { note(field) }
                case .stringListNote?: if let list = try stringList(v, field), !list.isEmpty { note(field) }
                case nil: warnUnknown(field)
                }
            }
        }
        return settings
    }

    private mutating func ipvsSection(_ value: Node, _ path: String) throws -> ProxyConfigFile.ModeSettings {
        try modeSection(value, path, extra: [
            "excludeCIDRs": .stringListNote, "strictARP": .bool,
            "tcpTimeout": .durationNote, "tcpFinTimeout": .durationNote, "udpTimeout": .durationNote,
        ], scheduler: true)
    }

    private func ipvsScheduler(_ value: Node, _ field: String) throws -> String? {
        guard let name = try string(value, field), !name.isEmpty else { return nil }
        guard ProxyConfigFile.ipvsSchedulers.contains(name) else {
            throw invalid(field, "must be one of \(ProxyConfigFile.ipvsSchedulers.joined(separator: ", ")), not \(quoted(name))")
        }
        return name
    }

    private mutating func conntrack(_ value: Node, _ path: String) throws -> ProxyConfigFile.Conntrack {
        var c = ProxyConfigFile.Conntrack()
        guard let map = try mapping(value, path) else { return c }
        for (key, v) in try fields(map, path: path) {
            let field = "\(path).\(key)"
            switch key {
            case "maxPerCore": c.maxPerCore = try nonNegative(int(v, field), field)
            case "min": c.min = try nonNegative(int(v, field), field)
            case "tcpEstablishedTimeout": c.tcpEstablishedTimeout = try duration(v, field)
            case "tcpCloseWaitTimeout": c.tcpCloseWaitTimeout = try duration(v, field)
            case "tcpBeLiberal": c.tcpBeLiberal = try bool(v, field)
            case "udpTimeout": c.udpTimeout = try duration(v, field)
            case "udpStreamTimeout": c.udpStreamTimeout = try duration(v, field)
            default: warnUnknown(field); continue
            }
            note(field, "Switchyard does not write conntrack sysctls")
        }
        return c
    }

    private mutating func clientConnection(_ value: Node, _ path: String) throws {
        guard let map = try mapping(value, path) else { return }
        for (key, v) in try fields(map, path: path) {
            let field = "\(path).\(key)"
            switch key {
            case "kubeconfig": out.kubeconfig = try string(v, field).flatMap { $0.isEmpty ? nil : $0 }
            case "acceptContentTypes", "contentType": if let s = try string(v, field), !s.isEmpty { note(field, "Switchyard speaks JSON") }
            case "qps":
                guard let s = try scalar(v, field) else { continue }
                guard let q = Double(s), q >= 0 else { throw invalid(field, "must be a non-negative number") }
                note(field)
            case "burst": if try nonNegative(int(v, field), field) != nil { note(field) }
            default: warnUnknown(field)
            }
        }
    }

    // MARK: - Field types

    private func mode(_ value: Node, _ field: String) throws -> ProxyMode? {
        guard let text = try string(value, field), !text.isEmpty else { return nil }
        if let mode = ProxyMode(rawValue: text) { return mode }
        if text == "kernelspace" { throw invalid(field, "kernelspace is the Windows proxy; Switchyard supports iptables, ipvs and nftables") }
        throw invalid(field, "must be iptables, ipvs or nftables, not \(quoted(text))")
    }

    private func cidrList(_ value: Node, _ field: String) throws -> [CIDR]? {
        guard let text = try string(value, field) else { return nil }
        var out: [CIDR] = []
        for part in text.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard t.contains("/"), let cidr = CIDR(t) else { throw invalid(field, "\(quoted(t)) is not a CIDR (like 10.244.0.0/16)") }
            out.append(cidr)
        }
        return out
    }

    private func nodePortAddresses(_ value: Node, _ field: String) throws -> [CIDR]? {
        guard let list = try stringList(value, field) else { return nil }
        if list == ["primary"] { return [] }
        return try list.map { text in
            if text == "primary" { throw invalid(field, "\"primary\" cannot be combined with CIDRs") }
            guard text.contains("/"), let cidr = CIDR(text) else { throw invalid(field, "\(quoted(text)) is not a CIDR (or \"primary\")") }
            return cidr
        }
    }

    private func detectLocalMode(_ value: Node, _ field: String) throws -> String? {
        guard let text = try string(value, field), !text.isEmpty else { return nil }
        switch text {
        case "ClusterCIDR": return text
        case "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix":
            throw invalid(field, "\(text) is not supported by Switchyard; use ClusterCIDR (with clusterCIDR)")
        default: throw invalid(field, "must be ClusterCIDR, not \(quoted(text))")
        }
    }

    // MARK: - Scalars

    private func fields(_ map: Node.Mapping, path: String) throws -> [(String, Node)] {
        try map.map { key, value in
            guard case .scalar(let s) = key else {
                throw invalid(path.isEmpty ? "(top level)" : path, "keys must be strings")
            }
            return (s.string, value)
        }
    }

    /// The scalar's text; nil for null; throws for mappings and sequences.
    private func scalar(_ value: Node, _ field: String) throws -> String? {
        guard case .scalar(let s) = value else { throw invalid(field, "must be a single value, not a list or object") }
        if s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return nil }
        return s.string
    }

    private func string(_ value: Node, _ field: String) throws -> String? { try scalar(value, field) }

    private func bool(_ value: Node, _ field: String) throws -> Bool? {
        guard case .scalar(let s) = value else { throw invalid(field, "must be true or false") }
        guard let text = try scalar(value, field) else { return nil }
        guard s.style == .plain else { throw invalid(field, "must be true or false, not the string \(quoted(text))") }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw invalid(field, "must be true or false, not \(quoted(text))")
        }
    }

    private func int(_ value: Node, _ field: String) throws -> Int? {
        guard let text = try scalar(value, field) else { return nil }
        guard let v = Int(text) else { throw invalid(field, "must be an integer, not \(quoted(text))") }
        return v
    }

    private func nonNegative(_ v: Int?, _ field: String) throws -> Int? {
        if let v, v < 0 { throw invalid(field, "must not be negative") }
        return v
    }

    private func duration(_ value: Node, _ field: String) throws -> TimeInterval? {
        guard let text = try scalar(value, field) else { return nil }
        guard let seconds = GoDuration.parse(text) else {
            throw invalid(field, "must be a duration like 30s, 1m0s or 500ms, not \(quoted(text))")
        }
        guard seconds >= 0 else { throw invalid(field, "must not be negative") }
        return seconds
    }

    private func parsed<T>(_ value: Node, _ field: String, _ what: String, _ parse: (String) -> T?) throws -> T? {
        guard let text = try string(value, field), !text.isEmpty else { return nil }
        guard let v = parse(text) else { throw invalid(field, "must be \(what), not \(quoted(text))") }
        return v
    }

    private func mapping(_ value: Node, _ field: String) throws -> Node.Mapping? {
        switch value {
        case .mapping(let m): return m
        case .scalar: if try scalar(value, field) == nil { return nil }
        default: break
        }
        throw invalid(field, "must be an object")
    }

    private func stringList(_ value: Node, _ field: String) throws -> [String]? {
        switch value {
        case .sequence(let seq):
            return try seq.enumerated().map { i, item in
                guard let s = try scalar(item, "\(field)[\(i)]") else { throw invalid("\(field)[\(i)]", "must not be null") }
                return s
            }
        case .scalar: if try scalar(value, field) == nil { return nil }
        default: break
        }
        throw invalid(field, "must be a list of strings")
    }

    // MARK: - Messages

    private mutating func warnUnknown(_ field: String) { out.warnings.append("unknown field \"\(field)\" ignored") }

    private mutating func note(_ field: String, _ why: String? = nil) {
        out.notes.append("field \"\(field)\" accepted, not applied" + (why.map { " (\($0))" } ?? ""))
    }

    private func invalid(_ field: String, _ message: String) -> ProxyConfigError {
        ProxyConfigError(field: field, message: message)
    }

    private func quoted(_ text: String) -> String { "\"\(Diagnostic.printable(text))\"" }
}
