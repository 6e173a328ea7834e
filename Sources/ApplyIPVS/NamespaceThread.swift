import Glibc

/// Runs a closure on a fresh thread that first entered a named network namespace (`setns`), so
/// sockets opened there stay bound to it while the process itself never changes namespace.
enum NamespaceThread {
    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    fileprivate final class Box<T>: @unchecked Sendable {
        let netns: String
        let body: () throws -> T
        var result: Result<T, Error>?
        init(netns: String, body: @escaping () throws -> T) { self.netns = netns; self.body = body }

        func run() {
            typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(nil, "setns") else { result = .failure(Failure(message: "setns not found")); return }
            let fd = open("/run/netns/\(netns)", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { result = .failure(Failure(message: "cannot open /run/netns/\(netns): errno \(errno)")); return }
            defer { close(fd) }
            guard unsafeBitCast(symbol, to: SetNamespace.self)(fd, 0x4000_0000) == 0 else { // CLONE_NEWNET
                result = .failure(Failure(message: "setns(\(netns)) failed: errno \(errno)")); return
            }
            result = Result { try body() }
        }
    }

    /// `body()` inside `netns`, or right here when nil.
    static func run<T>(netns: String?, _ body: @escaping () throws -> T) throws -> T {
        guard let netns else { return try body() }
        let box = Box(netns: netns, body: body)
        var tid = pthread_t()
        let arg = Unmanaged.passRetained(box as AnyObject).toOpaque()
        let rc = pthread_create(&tid, nil, { raw in
            let object = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue()
            (object as! Runnable).runBox()
            return nil
        }, arg)
        guard rc == 0 else {
            Unmanaged<AnyObject>.fromOpaque(arg).release()
            throw Failure(message: "pthread_create failed: \(rc)")
        }
        pthread_join(tid, nil)
        return try box.result!.get()
    }

    fileprivate protocol Runnable: AnyObject { func runBox() }
}

extension NamespaceThread.Box: NamespaceThread.Runnable { func runBox() { run() } }
