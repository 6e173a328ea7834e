import Foundation

/// Runs the deploy/ checks' tools (kubectl, kubernetes-validate) and finds the repository.
enum DeployTool {
    /// The package root (…/Tests/DeployTests/DeployTool.swift → …).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let overlays = ["nftables", "iptables", "ipvs"]

    struct Result { var status: Int32; var output: String; var error: String }

    /// kubectl: $KUBECTL, else on PATH.
    static var kubectl: String? { executable(env: "KUBECTL", names: ["kubectl"], extra: []) }

    /// kubernetes-validate: $KUBERNETES_VALIDATE, the venv scripts/setup makes (.build/validate-venv), else PATH.
    static var kubernetesValidate: String? {
        executable(env: "KUBERNETES_VALIDATE", names: ["kubernetes-validate"],
                   extra: [root.appendingPathComponent(".build/validate-venv/bin/kubernetes-validate").path])
    }

    static func executable(env: String, names: [String], extra: [String]) -> String? {
        if let path = ProcessInfo.processInfo.environment[env], !path.isEmpty { return path }
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        let candidates = extra + names.flatMap { name in dirs.map { "\($0)/\(name)" } }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ argv: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.currentDirectoryURL = root
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("sy-deploy-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errFile) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: errFile)
        try p.run()
        let outBytes = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errText = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        return Result(status: p.terminationStatus, output: String(decoding: outBytes, as: UTF8.self), error: errText)
    }

    /// `kubectl kustomize deploy/overlays/NAME`.
    static func build(_ overlay: String, kubectl: String) throws -> Result {
        try run([kubectl, "kustomize", root.appendingPathComponent("deploy/overlays/\(overlay)").path])
    }
}
