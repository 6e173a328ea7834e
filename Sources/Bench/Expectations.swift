import Foundation

/// Waiters for a value (an applied state, a log line) that satisfies a predicate, each stamped with
/// the time it was offered. Register (`expect`) before causing the event, so a value offered before
/// the wait starts is not missed; a value offered before the registration never matches it.
final class Expectations<Value: Sendable>: @unchecked Sendable {
    struct Ticket: Hashable { let id: Int }
    typealias Met = (time: ContinuousClock.Instant, value: Value)
    private struct Waiter {
        let predicate: @Sendable (Value) -> Bool
        var met: Met?
        var continuation: CheckedContinuation<Met?, Never>?
    }
    private let lock = NSLock()
    private var waiters: [Int: Waiter] = [:]
    private var nextID = 0
    private var finished = false

    func expect(_ predicate: @escaping @Sendable (Value) -> Bool) -> Ticket {
        lock.withLock { nextID += 1; waiters[nextID] = Waiter(predicate: predicate); return Ticket(id: nextID) }
    }

    /// Meets every registered expectation `value` satisfies, at the current time.
    func offer(_ value: Value) {
        let now = ContinuousClock.now
        let resume: [(CheckedContinuation<Met?, Never>, Met)] = lock.withLock {
            var out: [(CheckedContinuation<Met?, Never>, Met)] = []
            for (id, w) in waiters where w.met == nil && w.predicate(value) {
                if let c = w.continuation { out.append((c, (now, value))); waiters[id] = nil } else { waiters[id]?.met = (now, value) }
            }
            return out
        }
        for (c, met) in resume { c.resume(returning: met) }
    }

    /// No value will come any more (the source ended): every wait not yet met returns nil at once.
    func finish() {
        let resume: [CheckedContinuation<Met?, Never>] = lock.withLock {
            finished = true
            let waiting = waiters.filter { $0.value.met == nil }
            for id in waiting.keys where waiters[id]?.continuation != nil { waiters[id] = nil }
            return waiting.values.compactMap(\.continuation)
        }
        for c in resume { c.resume(returning: nil) }
    }

    /// Waits until a registered expectation is met: when and by what; nil after `timeout` or once the
    /// source finished without meeting it.
    func wait(_ ticket: Ticket, timeout: Duration) async -> Met? {
        let timer = Task { try? await Task.sleep(for: timeout); self.expire(ticket) }
        defer { timer.cancel() }
        return await withCheckedContinuation { c in
            let ready: Met?? = lock.withLock {
                guard let w = waiters[ticket.id] else { return .some(nil) }   // already expired
                if let met = w.met { waiters[ticket.id] = nil; return .some(met) }
                if finished { waiters[ticket.id] = nil; return .some(nil) }
                waiters[ticket.id]?.continuation = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    private func expire(_ ticket: Ticket) {
        let c: CheckedContinuation<Met?, Never>? = lock.withLock {
            guard let w = waiters[ticket.id] else { return nil }
            waiters[ticket.id] = nil   // expired, whether or not anyone waits yet
            return w.continuation
        }
        c?.resume(returning: nil)
    }
}
