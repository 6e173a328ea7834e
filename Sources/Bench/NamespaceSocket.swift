import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to 127.0.0.1 (free port) inside a named network namespace. A socket belongs to
/// the namespace it was created in for its whole life, so the bench creates it on a short-lived thread
/// that entered the namespace (`setns`) and hands it to the in-process test API server: a daemon
/// started in that namespace reaches the server on its own loopback. The bench process itself never
/// leaves the host namespace (only that thread does, and it ends at once).
enum NamespaceSocket {
    private typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// Creates the socket in `/run/netns/<netns>` (as `ip netns add` makes it); returns its descriptor
    /// (close-on-exec, not yet listening).
    static func boundLoopbackTCP(netns: String) throws -> Int32 {
        guard !netns.isEmpty, !netns.contains("/"), netns != ".", netns != ".." else {
            throw BenchError("bad namespace name \(netns)")
        }
        let box = Box(netns: netns)
        let arg = Unmanaged.passRetained(box).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, arg)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(arg).release()
            throw BenchError("cannot start a thread to enter \(netns) (error \(rc))")
        }
        pthread_join(tid, nil)
        return try box.result!.get()
    }

    private final class Box: @unchecked Sendable {
        let netns: String
        var result: Result<Int32, any Error>?
        init(netns: String) { self.netns = netns }

        func run() { result = Result { try bind() } }

        private func bind() throws -> Int32 {
            let nsfd = open("/run/netns/\(netns)", O_RDONLY | O_CLOEXEC)
            guard nsfd >= 0 else { throw BenchError("cannot open /run/netns/\(netns): \(String(cString: strerror(errno)))") }
            defer { close(nsfd) }
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { throw BenchError("setns not available") }
            guard unsafeBitCast(symbol, to: SetnsFunction.self)(nsfd, NamespaceSocket.cloneNewNet) == 0 else {
                throw BenchError("setns(\(netns)) failed: \(String(cString: strerror(errno)))")
            }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw BenchError("socket() in \(netns) failed: \(String(cString: strerror(errno)))") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = 0
            addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else {
                let message = String(cString: strerror(errno))
                close(fd)
                throw BenchError("bind(127.0.0.1) in \(netns) failed: \(message)")
            }
            return fd
        }
    }
}
