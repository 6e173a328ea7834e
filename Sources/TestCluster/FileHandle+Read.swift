import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension FileHandle {
    /// Reads until end of file, retrying reads interrupted by signals.
    ///
    /// Foundation's `readDataToEndOfFile()` and `availableData` trap (`try!`) when `read(2)` fails with
    /// EINTR, which happens in a test process where children exit all the time (SIGCHLD). Every pipe the
    /// test support reads goes through here instead.
    public func readAllRetryingInterrupts() -> Data {
        var out = Data()
        while let chunk = readChunkRetryingInterrupts(), !chunk.isEmpty { out.append(chunk) }
        return out
    }

    /// One `read(2)` of up to 64 KiB, retried on EINTR; empty at end of file, nil on a read error.
    public func readChunkRetryingInterrupts() -> Data? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, $0.count) }
            if n >= 0 { return Data(buffer[0..<n]) }
            if errno == EINTR { continue }
            return nil
        }
    }
}
