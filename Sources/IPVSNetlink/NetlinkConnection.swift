/// When the batched sender asks the kernel for an ACK.
public enum NetlinkAckPolicy: Sendable, Equatable {
    /// NLM_F_ACK on every message: the kernel answers each one.
    case everyMessage
    /// NLM_F_ACK only on the last message of each buffer. Failures are still answered one by one
    /// (the kernel always reports an error), and the last ACK marks the end of the buffer.
    case lastInBuffer
}

/// How requests are packed into `send()` calls.
public struct NetlinkBatchOptions: Sendable, Equatable {
    /// Upper bound on one datagram's size (also cut to the transport's `maximumDatagramSize`); a
    /// single larger request still goes alone.
    public var bufferLimit: Int
    /// Upper bound on the messages of one datagram: the kernel queues every answer of a datagram
    /// before `send()` returns, so a datagram whose messages all fail must not overflow the receive
    /// buffer (each queued error costs about a kilobyte of it).
    public var messageLimit: Int
    public var ackPolicy: NetlinkAckPolicy

    public init(bufferLimit: Int = 1 << 20, messageLimit: Int = 8192, ackPolicy: NetlinkAckPolicy = .lastInBuffer) {
        self.bufferLimit = bufferLimit; self.messageLimit = max(1, messageLimit); self.ackPolicy = ackPolicy
    }
}

/// Request/reply, dump and batched sending over one `NetlinkTransport`.
///
/// Owns the sequence counter. Not thread-safe: use from one task at a time.
public final class NetlinkConnection {
    public let transport: any NetlinkTransport
    public var options: NetlinkBatchOptions
    private(set) var nextSequence: UInt32

    public init(transport: any NetlinkTransport, options: NetlinkBatchOptions = .init(), firstSequence: UInt32 = 1) {
        self.transport = transport; self.options = options; nextSequence = firstSequence
    }

    /// Sends `requests` packed into as few datagrams as `options.bufferLimit` allows, waiting for each
    /// buffer's answers before the next. Returns the requests the kernel rejected (empty on success);
    /// throws only for transport failures or garbage from the kernel.
    public func execute(_ requests: [NetlinkRequest]) throws -> [NetlinkOperationFailure] {
        var failures: [NetlinkOperationFailure] = []
        let limit = min(options.bufferLimit, transport.maximumDatagramSize)
        var start = 0
        while start < requests.count {
            var end = start
            var size = 0
            while end < requests.count, end == start || (size + requests[end].framedLength <= limit && end - start < options.messageLimit) {
                size += requests[end].framedLength
                end += 1
            }
            try sendBuffer(requests, start..<end, size: size, failures: &failures)
            start = end
        }
        return failures
    }

    /// Sends one request with NLM_F_ACK and returns the replies that came before the ACK.
    /// Throws `NetlinkError.kernel` when the kernel rejects it.
    public func request(_ request: NetlinkRequest) throws -> [NetlinkMessage] {
        let sequence = takeSequence(1)
        var datagram: [UInt8] = []
        request.frame(sequence: sequence, extraFlags: Netlink.flagAck, into: &datagram)
        try transport.send(datagram)
        var replies: [NetlinkMessage] = []
        while true {
            for message in try NetlinkMessage.parse(try transport.receive()) where message.sequence == sequence {
                if message.type == Netlink.messageError {
                    let ack = try message.acknowledgement()
                    if ack.errno != 0 { throw NetlinkError.kernel(errno: ack.errno, message: ack.message) }
                    return replies
                }
                if message.type == Netlink.messageDone { return replies }
                replies.append(message)
            }
        }
    }

    /// Sends `request` with NLM_F_DUMP and collects every reply until NLMSG_DONE.
    /// Retries (up to 3 times) when the kernel flags the dump as interrupted by a concurrent change.
    public func dump(_ request: NetlinkRequest) throws -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        try dump(request, restart: { messages = [] }) { messages.append($0) }
        return messages
    }

    /// Like `dump(_:)`, but hands each reply to `each` as its datagram arrives, so the caller can
    /// decode in place instead of keeping every datagram of a large dump. `restart` is called before
    /// an interrupted dump is retried: the caller drops what it has.
    public func dump(_ request: NetlinkRequest, restart: () -> Void, each: (NetlinkMessage) throws -> Void) throws {
        var attempt = 0
        while true {
            attempt += 1
            let interrupted = try dumpOnce(request, each)
            if !interrupted || attempt >= 3 { return }
            restart()
        }
    }

    private func dumpOnce(_ request: NetlinkRequest, _ each: (NetlinkMessage) throws -> Void) throws -> Bool {
        let sequence = takeSequence(1)
        var datagram: [UInt8] = []
        var dumpRequest = request
        dumpRequest.flags |= Netlink.flagDump
        dumpRequest.frame(sequence: sequence, extraFlags: 0, into: &datagram)
        try transport.send(datagram)
        var interrupted = false
        while true {
            for message in try NetlinkMessage.parse(try transport.receive()) where message.sequence == sequence {
                if message.flags & Netlink.flagDumpInterrupted != 0 { interrupted = true }
                switch message.type {
                case Netlink.messageDone:
                    if message.payload.count >= 4 {
                        let code = Int32(bitPattern: NetlinkBytes.u32(message.payload, at: message.payload.startIndex))
                        if code < 0 { throw NetlinkError.kernel(errno: -code, message: nil) }
                    }
                    return interrupted
                case Netlink.messageError:
                    let ack = try message.acknowledgement()
                    if ack.errno != 0 { throw NetlinkError.kernel(errno: ack.errno, message: ack.message) }
                    return interrupted
                case Netlink.messageNoop:
                    continue
                default:
                    try each(message)
                }
            }
        }
    }

    private func sendBuffer(_ requests: [NetlinkRequest], _ range: Range<Int>, size: Int,
                            failures: inout [NetlinkOperationFailure]) throws {
        let base = takeSequence(UInt32(range.count))
        var datagram: [UInt8] = []
        datagram.reserveCapacity(size)
        for i in range {
            let ack = options.ackPolicy == .everyMessage || i == range.upperBound - 1
            requests[i].frame(sequence: base &+ UInt32(i - range.lowerBound),
                              extraFlags: ack ? Netlink.flagAck : 0, into: &datagram)
        }
        try transport.send(datagram)
        try collectAnswers(base: base, count: range.count, firstIndex: range.lowerBound, failures: &failures)
    }

    /// Like `execute(_:)` for `count` requests of message type `type` whose payloads `build(i, &writer)`
    /// writes straight into the datagram being filled: no request is materialised on its own (at
    /// 100,000 commands that is tens of megabytes less memory to allocate and touch).
    public func execute(count: Int, type: UInt16, build: (Int, inout NetlinkAttributeWriter) -> Void) throws -> [NetlinkOperationFailure] {
        var failures: [NetlinkOperationFailure] = []
        let limit = min(options.bufferLimit, transport.maximumDatagramSize)
        let every = options.ackPolicy == .everyMessage
        var datagram: [UInt8] = []
        datagram.reserveCapacity(min(limit, 1 << 20) + 4096)
        var starts: [Int] = [] // offsets of the messages in `datagram`
        var firstIndex = 0
        var base = nextSequence

        func flush(upTo end: Int, messages: Int) throws {
            let last = starts[messages - 1]
            if !every { // NLM_F_ACK on the last message only
                let flags = NetlinkBytes.u16(datagram[...], at: last + 6) | Netlink.flagAck
                withUnsafeBytes(of: flags) { datagram[last + 6] = $0[0]; datagram[last + 7] = $0[1] }
            }
            try transport.send(end == datagram.count ? datagram : Array(datagram[..<end]))
            try collectAnswers(base: base, count: messages, firstIndex: firstIndex, failures: &failures)
            firstIndex += messages
            base = base &+ UInt32(messages)
        }

        for i in 0..<count {
            let start = datagram.count
            NetlinkBytes.append(UInt32(0), to: &datagram)
            NetlinkBytes.append(type, to: &datagram)
            NetlinkBytes.append(Netlink.flagRequest | (every ? Netlink.flagAck : 0), to: &datagram)
            NetlinkBytes.append(takeSequence(1), to: &datagram)
            NetlinkBytes.append(UInt32(0), to: &datagram)
            var writer = NetlinkAttributeWriter(adopting: datagram)
            datagram = []
            build(i, &writer)
            datagram = writer.takeBytes()
            withUnsafeBytes(of: UInt32(datagram.count - start)) { for k in 0..<4 { datagram[start + k] = $0[k] } }
            starts.append(start)
            if starts.count > 1, datagram.count > limit || starts.count > options.messageLimit {
                // The new message does not fit: send the others, keep it for the next datagram.
                try flush(upTo: start, messages: starts.count - 1)
                datagram.removeSubrange(..<start)
                starts = [0]
            }
        }
        if !starts.isEmpty { try flush(upTo: datagram.count, messages: starts.count) }
        return failures
    }

    /// Reads the answers to `count` messages sent with sequence numbers from `base`; failures are
    /// reported with indices from `firstIndex`.
    private func collectAnswers(base: UInt32, count: Int, firstIndex: Int, failures: inout [NetlinkOperationFailure]) throws {
        let range = firstIndex..<(firstIndex + count)
        let lastSequence = base &+ UInt32(range.count - 1)
        var outstanding = options.ackPolicy == .everyMessage ? range.count : 1
        var answered = Set<UInt32>()
        while outstanding > 0 {
            for message in try NetlinkMessage.parse(try transport.receive()) where message.type == Netlink.messageError {
                let ack = try message.acknowledgement()
                let offset = ack.sequence &- base
                guard offset < UInt32(range.count), answered.insert(ack.sequence).inserted else { continue }
                if ack.errno != 0 {
                    failures.append(NetlinkOperationFailure(index: range.lowerBound + Int(offset),
                                                            errno: ack.errno, message: ack.message))
                }
                if options.ackPolicy == .everyMessage || ack.sequence == lastSequence { outstanding -= 1 }
            }
        }
    }

    private func takeSequence(_ count: UInt32) -> UInt32 {
        let first = nextSequence
        nextSequence = nextSequence &+ count // wraps; only equality with our own recent numbers matters
        return first
    }
}
