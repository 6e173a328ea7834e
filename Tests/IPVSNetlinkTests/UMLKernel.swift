import Glibc
import IPVSNetlink

/// Gate and helpers for tests that program a real kernel: only inside the User-Mode Linux guest that
/// `scripts/uml-run` boots (SWITCHYARD_IN_UML=1 and a UML kernel), never on the host — except
/// `hasIPSet`, which also holds on a host whose kernel has ipset (those tests run in a fresh namespace).
/// Shared by IPVSNetlinkTests and ApplyIPVSTests (the latter holds a symlink to this file).
enum UMLKernel {
    static var isGuest: Bool {
        guard let flag = getenv("SWITCHYARD_IN_UML"), String(cString: flag) == "1" else { return false }
        return read("/proc/cpuinfo")?.contains("UML") ?? false
    }

    /// True inside the guest when the ip_vs module is loaded.
    static var hasIPVS: Bool { isGuest && read("/proc/net/ip_vs") != nil }

    /// True as root where a fresh network namespace can list ipsets over nfnetlink (the guest, or a
    /// host whose kernel has ip_set).
    static var hasIPSet: Bool {
        guard getuid() == 0 else { return false }
        return (try? inFreshNetworkNamespace { try IPSetClient().names() }) != nil
    }

    /// Runs `body` with the calling thread in a new, empty network namespace and switches the thread
    /// back afterwards. Sockets opened in `body` stay in the new namespace (and keep it alive), so each
    /// test gets its own IPVS tables and links. Guest only: unshare/setns are looked up with dlsym
    /// because Glibc's Swift module does not export them.
    static func inFreshNetworkNamespace<T>(_ body: () throws -> T) throws -> T {
        typealias NamespaceCall = @convention(c) (Int32) -> Int32
        typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
        let cloneNewNet: Int32 = 0x4000_0000 // CLONE_NEWNET
        guard let unshareSymbol = dlsym(nil, "unshare"), let setnsSymbol = dlsym(nil, "setns") else {
            throw NetlinkError.system(call: "dlsym(unshare)", errno: ENOSYS)
        }
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw NetlinkError.system(call: "open(ns/net)", errno: errno) }
        defer { close(original) }
        guard unsafeBitCast(unshareSymbol, to: NamespaceCall.self)(cloneNewNet) == 0 else {
            throw NetlinkError.system(call: "unshare(CLONE_NEWNET)", errno: errno)
        }
        defer { _ = unsafeBitCast(setnsSymbol, to: SetNamespace.self)(original, cloneNewNet) }
        return try body()
    }

    /// A string from the environment.
    static func string(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// An integer from the environment, for scale knobs.
    static func integer(_ name: String, default value: Int) -> Int {
        guard let raw = getenv(name), let v = Int(String(cString: raw)) else { return value }
        return v
    }

    /// A file's text, nil when it cannot be opened.
    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
