import Foundation

/// Where `SyncEngine` reads the time and how it waits. Injected so tests control time.
public protocol SyncClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
    /// Returns at `deadline` (or at once when it has passed); throws when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The system clock.
public struct SystemSyncClock: SyncClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let delay = deadline.timeIntervalSinceNow
        if delay > 0 { try await Task.sleep(nanoseconds: UInt64(min(delay, 86_400) * 1e9)) }
    }
}
