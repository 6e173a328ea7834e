import CNftables

#if canImport(Glibc)
import Glibc
#endif

/// A long-lived libnftables context: runs nft scripts in-process as one transaction each, with
/// no process start and a cache nft keeps between calls.
///
/// When `netns` is given the context is created on a short-lived thread that first entered
/// `/run/netns/NAME`: its netlink socket is created there and stays there, while the calling
/// process never leaves its own namespace.
final class NftLibrary: @unchecked Sendable {
    private let ctx: OpaquePointer

    init(netns: String?) throws {
        let made: OpaquePointer? = try NamespaceThread.run(netns: netns) {
            guard let c = nft_ctx_new(0) else { return nil }
            nft_ctx_buffer_output(c)
            nft_ctx_buffer_error(c)
            return c
        }
        guard let made else { throw NamespaceThread.Failure(message: "nft_ctx_new failed") }
        ctx = made
    }

    deinit { nft_ctx_free(ctx) }

    /// Runs `script`; on failure returns nft's error text.
    ///
    /// The script is read from an unlinked temporary file: from a buffer, libnftables 1.0.6
    /// reports errors without their line number.
    func run(_ script: String) throws -> String? {
        let fd = try NftProcess.temporaryFile(script)
        defer { close(fd) }
        let rc = nft_run_cmd_from_filename(ctx, "/proc/self/fd/\(fd)")
        _ = nft_ctx_get_output_buffer(ctx)
        let err = nft_ctx_get_error_buffer(ctx).map { String(cString: $0) } ?? ""
        return rc == 0 ? nil : (err.isEmpty ? "nft failed with no message" : err)
    }
}

/// Runs a closure on a fresh thread that first entered a named network namespace.
enum NamespaceThread {
    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    fileprivate final class Box<T>: @unchecked Sendable {
        let netns: String?
        let body: () throws -> T
        var result: Result<T, Error>?
        init(netns: String?, body: @escaping () throws -> T) { self.netns = netns; self.body = body }

        func run() {
            if let netns {
                let fd = open("/run/netns/\(netns)", O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { result = .failure(Failure(message: "cannot open /run/netns/\(netns): errno \(errno)")); return }
                defer { close(fd) }
                guard setns(fd, switchyard_clone_newnet()) == 0 else {
                    result = .failure(Failure(message: "setns(\(netns)) failed: errno \(errno)")); return
                }
            }
            result = Result { try body() }
        }
    }

    /// `body()` in `netns` (or right here when nil). The thread ends afterwards, so its namespace
    /// never leaks into other work.
    static func run<T>(netns: String?, _ body: @escaping () throws -> T) throws -> T {
        guard netns != nil else { return try body() }
        let box = Box(netns: netns, body: body)
        var tid = pthread_t()
        let arg = Unmanaged.passRetained(box).toOpaque()
        let rc = pthread_create(&tid, nil, { raw in
            let b = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue()
            (b as! Runnable).runBox()
            return nil
        }, arg)
        guard rc == 0 else {
            Unmanaged<Box<T>>.fromOpaque(arg).release()
            throw Failure(message: "pthread_create failed: \(rc)")
        }
        pthread_join(tid, nil)
        return try box.result!.get()
    }
}

private protocol Runnable: AnyObject { func runBox() }
extension NamespaceThread.Box: Runnable { func runBox() { run() } }
