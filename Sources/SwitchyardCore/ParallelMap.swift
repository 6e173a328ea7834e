import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An order-preserving parallel map for the pure pipeline (model commit, renderers): each worker
/// maps one contiguous chunk into its own disjoint range of the result, so there is no shared
/// mutable state and the result equals `items.map(transform)`.
public enum ParallelMap {
    /// Worker threads to use: the processors available, at most `limit`.
    public static func workers(limit: Int = 8) -> Int {
        max(1, min(limit, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    /// `items.map(transform)`, computed in contiguous chunks on up to `workers()` threads. Runs
    /// serially when there are fewer than `2 * minimumChunk` items. The result is in `items` order.
    /// There are up to four chunks per worker, so a thread that loses its core to another process
    /// holds back a quarter of its share, not all of it (the others take the remaining chunks).
    public static func map<Element: Sendable, Result: Sendable>(
        _ items: [Element], minimumChunk: Int = 512, _ transform: @Sendable (Element) -> Result
    ) -> [Result] {
        let chunks = min(4 * workers(), items.count / max(1, minimumChunk))
        if chunks < 2 || workers() < 2 { return items.map(transform) }
        // Each chunk's results are written straight into their place in the result: no
        // per-chunk arrays to copy (retaining every result) and destroy afterwards.
        return [Result](unsafeUninitializedCapacity: items.count) { buffer, initializedCount in
            nonisolated(unsafe) let slots = buffer
            items.withUnsafeBufferPointer { source in
                nonisolated(unsafe) let input = source
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let lo = input.count * c / chunks, hi = input.count * (c + 1) / chunks
                    for i in lo..<hi { (slots.baseAddress! + i).initialize(to: transform(input[i])) }
                }
            }
            initializedCount = items.count
        }
    }

    /// `map(_:minimumChunk:_:)` over any random-access collection indexed from 0 (a view that
    /// reads its elements in place, so they are not copied into an array first).
    public static func map<Items: RandomAccessCollection & Sendable, Result: Sendable>(
        _ items: Items, minimumChunk: Int = 512, _ transform: @Sendable (Items.Element) -> Result
    ) -> [Result] where Items.Index == Int {
        let count = items.count
        let chunks = min(4 * workers(), count / max(1, minimumChunk))
        if chunks < 2 || workers() < 2 { return items.map(transform) }
        return [Result](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            nonisolated(unsafe) let slots = buffer
            let start = items.startIndex
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                for i in lo..<hi { (slots.baseAddress! + i).initialize(to: transform(items[start + i])) }
            }
            initializedCount = count
        }
    }

    /// `(first(), second())`, the two run at once on two threads when there are two workers.
    public static func both<A: Sendable, B: Sendable>(_ first: @Sendable () -> A, _ second: @Sendable () -> B) -> (A, B) {
        guard workers() >= 2 else { return (first(), second()) }
        var a: A?, b: B?
        withUnsafeMutablePointer(to: &a) { pa in
            withUnsafeMutablePointer(to: &b) { pb in
                nonisolated(unsafe) let ra = pa, rb = pb
                DispatchQueue.concurrentPerform(iterations: 2) { i in
                    if i == 0 { ra.pointee = first() } else { rb.pointee = second() }
                }
            }
        }
        return (a!, b!)
    }
}
