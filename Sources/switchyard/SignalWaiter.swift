import Dispatch
import Foundation

/// Turns SIGTERM/SIGINT into an async event: the default action (immediate death) is disabled and a
/// DispatchSource delivers the first signal to `next()`.
/// `@unchecked`: the sources are only retained (never touched after init); the stream is Sendable.
final class SignalWaiter: @unchecked Sendable {
    private let stream: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32] = [SIGTERM, SIGINT]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(4))
        self.stream = stream
        let queue = DispatchQueue(label: "switchyard.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    /// Waits for the next signal (nil if the task is cancelled).
    func next() async -> Int32? {
        for await number in stream { return number }
        return nil
    }

    static func name(_ number: Int32) -> String {
        switch number {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        default: return "signal \(number)"
        }
    }
}
