import Foundation

/// The bench's progress bar: each result row (backend × size) is `stepsPerRow` steps; every step
/// line the runner prints (`[nftables 10000×10] cold sync`, …) moves the bar one step within its
/// row, and the row's last line (`… done`, `… failed: …`) completes it. Thread-safe.
public final class BenchProgressBar: @unchecked Sendable {
    /// Steps a row is divided into (the runner prints about this many lines per row).
    public static let stepsPerRow = 10
    private let lock = NSLock()
    private let rows: Int
    private var rowsDone = 0
    private var stepsInRow = 0

    /// A bar over `rows` result rows (at least 1).
    public init(rows: Int) { self.rows = max(1, rows) }

    /// Counts `line` and returns it prefixed with the bar, e.g. `[#####-------------------]  21% …`.
    public func advance(_ line: String) -> String {
        lock.withLock {
            if Self.endsRow(line) {
                rowsDone = min(rows, rowsDone + 1); stepsInRow = 0
            } else if line.contains("×") && line.contains("[") {
                stepsInRow = min(stepsInRow + 1, Self.stepsPerRow - 1)
            }
            return "\(bar()) \(line)"
        }
    }

    /// The fraction done, 0…1.
    public var fraction: Double {
        lock.withLock { fractionLocked }
    }

    private var fractionLocked: Double {
        min(1, (Double(rowsDone) + Double(stepsInRow) / Double(Self.stepsPerRow)) / Double(rows))
    }

    private func bar(width: Int = 24) -> String {
        let f = fractionLocked
        let filled = Int((f * Double(width)).rounded(.down))
        let percent = String(Int((f * 100).rounded(.down)))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            + String(repeating: " ", count: max(0, 3 - percent.count)) + percent + "%"
    }

    /// A row's last line: `[backend size…] done`, `… done (…)` or `[backend size] failed: …`.
    static func endsRow(_ line: String) -> Bool {
        // Any "] " may close the row tag (a UML guest's lines arrive with its own bar in front).
        var search = line.startIndex..<line.endIndex
        while let close = line.range(of: "] ", range: search) {
            let rest = line[close.upperBound...]
            if rest == "done" || rest.hasPrefix("done (") || rest.hasPrefix("failed:") { return true }
            search = close.upperBound..<line.endIndex
        }
        return false
    }
}
