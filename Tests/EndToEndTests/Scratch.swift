import Foundation
import TestCluster

/// A temporary directory removed when the value is dropped via `remove()`.
struct ScratchDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "sy-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }
    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A throwaway network namespace for checking rendered rules with the real tools.
struct ThrowawayNamespace {
    let name: String
    init() throws {
        name = "sy-e2e-\(getpid() % 100000)-\(UInt16.random(in: 0...UInt16.max))"
        _ = try ProcessRunner.run(["ip", "netns", "add", name]).check()
    }
    /// Runs a command inside the namespace with `input` on stdin.
    func run(_ argv: [String], input: String? = nil) throws -> CommandResult {
        try ProcessRunner.run(["ip", "netns", "exec", name] + argv, input: input)
    }
    func remove() { _ = try? ProcessRunner.run(["ip", "netns", "del", name]) }
}

/// Runs the built `switchyard` executable.
func switchyard(_ args: [String]) throws -> CommandResult {
    try ProcessRunner.run([try SwitchyardExecutable.locate()] + args, timeout: .seconds(120))
}

/// True when kernel checks can run: root, `ip` present.
var canUseNamespaces: Bool { TestCluster.isSupported() }
