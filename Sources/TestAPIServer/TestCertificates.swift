import Foundation

/// PEM material for a TLS test server: a throwaway CA and a server certificate it signed for
/// `localhost`, `127.0.0.1` and `::1`, made with the `openssl` command-line tool.
public struct TestCertificates: Sendable {
    public var caCertificatePEM: String
    public var caKeyPEM: String
    public var serverCertificatePEM: String
    public var serverKeyPEM: String

    public init(caCertificatePEM: String, caKeyPEM: String, serverCertificatePEM: String, serverKeyPEM: String) {
        self.caCertificatePEM = caCertificatePEM; self.caKeyPEM = caKeyPEM
        self.serverCertificatePEM = serverCertificatePEM; self.serverKeyPEM = serverKeyPEM
    }

    public enum Failure: Error, CustomStringConvertible {
        case openssl(arguments: [String], status: Int32, output: String)
        public var description: String {
            switch self {
            case .openssl(let args, let status, let output): return "openssl \(args.joined(separator: " ")) exited \(status): \(output)"
            }
        }
    }

    /// Generates a fresh CA (named `commonName`) and a server certificate; `openssl` is looked up at `opensslPath`.
    public static func generate(commonName: String = "switchyard-test-ca", opensslPath: String = "/usr/bin/openssl") throws -> TestCertificates {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sy-certs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func run(_ args: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: opensslPath)
            p.arguments = args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw Failure.openssl(arguments: args, status: p.terminationStatus, output: String(decoding: out, as: UTF8.self))
            }
        }
        try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "2", "-subj", "/CN=\(commonName)",
                 "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try String("subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
            .write(toFile: path("ext.cnf"), atomically: true, encoding: .utf8)
        try run(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                 "-CAcreateserial", "-out", path("server.crt"), "-days", "2", "-extfile", path("ext.cnf")])
        func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
        return TestCertificates(caCertificatePEM: try read("ca.crt"), caKeyPEM: try read("ca.key"),
                                serverCertificatePEM: try read("server.crt"), serverKeyPEM: try read("server.key"))
    }
}
