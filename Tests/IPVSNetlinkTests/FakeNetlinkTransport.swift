@testable import IPVSNetlink

/// A kernel stand-in: records every datagram, answers like the kernel does (an ACK for each message
/// that asked for one, an error ACK for each message chosen to fail), and serves scripted replies.
final class FakeNetlinkTransport: NetlinkTransport {
    /// Every datagram sent, parsed.
    private(set) var sent: [[NetlinkMessage]] = []
    private(set) var sentSizes: [Int] = []
    /// Which messages fail (by running count of messages received over the whole life), and with what errno.
    var failAt: [Int: Int32] = [:]
    /// Replies to queue before the ACK/DONE of a message, by message type and sequence → built by closure.
    var replies: (NetlinkMessage) -> [[UInt8]] = { _ in [] }
    private var queue: [[UInt8]] = []
    /// What a socket's send buffer would allow.
    var maximumDatagramSize = Int.max
    private var received = 0

    func send(_ datagram: [UInt8]) throws {
        let messages = try NetlinkMessage.parse(datagram)
        sent.append(messages)
        sentSizes.append(datagram.count)
        for m in messages {
            let errno = failAt[received] ?? 0
            received += 1
            queue += replies(m)
            if m.flags & Netlink.flagDump == Netlink.flagDump {
                queue.append(KernelMessages.done(sequence: m.sequence))
            } else if errno != 0 || m.flags & Netlink.flagAck != 0 {
                queue.append(KernelMessages.ack(sequence: m.sequence, errno: errno, message: errno != 0 ? "failed \(received - 1)" : nil))
            }
        }
    }

    func receive() throws -> [UInt8] {
        guard !queue.isEmpty else { throw NetlinkError.timeout }
        return queue.removeFirst()
    }
}
