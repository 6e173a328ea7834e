#if canImport(Glibc)
import Glibc
#endif

/// Runs a closure on a fresh thread that first entered a named network namespace
/// (`/run/netns/NAME`, as `ip netns add` makes). A netlink socket opened there stays in that
/// namespace for its whole life while the process itself never leaves its own. The thread ends
/// right after, so its namespace never leaks into other work. (Same approach as ApplyNftables.)
enum NamespaceThread {
    private typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// setns(2), looked up at run time: Glibc's Swift module hides it behind _GNU_SOURCE.
    private static func setns(_ fd: Int32) -> Int32 {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else { errno = ENOSYS; return -1 }
        return unsafeBitCast(symbol, to: SetnsFunction.self)(fd, cloneNewNet)
    }

    fileprivate final class Box<T>: @unchecked Sendable {
        let netns: String
        let body: () throws -> T
        var result: Result<T, Error>?
        init(netns: String, body: @escaping () throws -> T) { self.netns = netns; self.body = body }

        func run() {
            let fd = open("/run/netns/\(netns)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { result = .failure(ConntrackError.namespace(name: netns, errno: errno)); return }
            defer { close(fd) }
            guard NamespaceThread.setns(fd) == 0 else {
                result = .failure(ConntrackError.namespace(name: netns, errno: errno)); return
            }
            result = Result { try body() }
        }
    }

    /// `body()` inside `netns`, or right here when nil. A name containing `/` is refused.
    static func run<T>(netns: String?, _ body: @escaping () throws -> T) throws -> T {
        guard let netns else { return try body() }
        guard !netns.isEmpty, !netns.contains("/"), netns != ".", netns != ".." else {
            throw ConntrackError.namespace(name: netns, errno: EINVAL)
        }
        let box = Box(netns: netns, body: body)
        let arg = Unmanaged.passRetained(box as AnyObject).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            let object = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue()
            (object as! NamespaceRunnable).runInNamespace()
            return nil
        }, arg)
        guard rc == 0 else {
            Unmanaged<AnyObject>.fromOpaque(arg).release()
            throw ConntrackError.namespace(name: netns, errno: rc)
        }
        pthread_join(tid, nil)
        return try box.result!.get()
    }

    fileprivate protocol NamespaceRunnable: AnyObject { func runInNamespace() }
}

extension NamespaceThread.Box: NamespaceThread.NamespaceRunnable { func runInNamespace() { run() } }
