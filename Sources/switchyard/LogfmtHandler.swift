import Foundation
import Logging
import SwitchyardCore

/// A swift-log handler writing one logfmt line per event to stderr:
/// `time=2025-01-01T12:00:00.123Z level=info logger=switchyard.sync msg="sync done" kind=full duration_ms=12.3`.
struct LogfmtHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level) { self.label = label; self.logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "time=\(Self.timestamp()) level=\(event.level.rawValue) logger=\(label) msg=\(Self.quote(event.message.description))"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quote(Self.text(merged[key]!)))"
        }
        if let error = event.error { line += " error=\(Self.quote(String(describing: error)))" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(text).joined(separator: ",")
        case .dictionary(let d): return d.keys.sorted().map { "\($0):\(text(d[$0]!))" }.joined(separator: ",")
        }
    }

    /// Bare when safe, else double-quoted with `"`, `\` and control characters escaped.
    static func quote(_ s: String) -> String {
        let safe = !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "=" && $0 != "\\" }
        return safe ? s : JSONText.quoted(s, shortCarriageReturn: false, escapeDelete: true)
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// `--log-level` wins; otherwise klog's `--v`: 0–3 info, 4 debug, 5 and up trace.
    static func level(logLevel: String?, verbosity: Int?) throws -> Logger.Level {
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
                throw LogLevelError(text: logLevel)
            }
            return level
        }
        switch verbosity ?? 0 {
        case ...3: return .info
        case 4: return .debug
        default: return .trace
        }
    }

    struct LogLevelError: Error, CustomStringConvertible {
        var text: String
        var description: String {
            "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'"
        }
    }
}
