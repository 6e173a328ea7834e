import Foundation

/// Finds the `switchyard` executable that echo servers and probes run as.
public enum SwitchyardExecutable {
    /// The environment variable that overrides the search.
    public static let environmentVariable = "SWITCHYARD_EXECUTABLE"

    /// The candidates, in order: `$SWITCHYARD_EXECUTABLE`; `switchyard` next to the running program
    /// (`CommandLine.arguments[0]`, then `Bundle.main.executablePath`) — in `swift test` that is the
    /// build directory holding the test bundle; then `.build/debug/switchyard` under the current directory.
    public static func candidates(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        argument0: String? = CommandLine.arguments.first,
        bundleExecutable: String? = Bundle.main.executablePath,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> [String] {
        var out: [String] = []
        if let explicit = environment[environmentVariable], !explicit.isEmpty { out.append(explicit) }
        for program in [argument0, bundleExecutable].compactMap({ $0 }) where program.contains("/") {
            let resolved = URL(fileURLWithPath: program, relativeTo: URL(fileURLWithPath: currentDirectory + "/"))
                .standardizedFileURL.resolvingSymlinksInPath()
            var dir = resolved.deletingLastPathComponent()
            // A bundle directory (…/Foo.xctest/Contents/MacOS/Foo) sits inside the build directory.
            while dir.path.contains(".xctest") { dir = dir.deletingLastPathComponent() }
            out.append(dir.appendingPathComponent("switchyard").path)
        }
        out.append(currentDirectory + "/.build/debug/switchyard")
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// The first executable candidate, or `TestClusterError.executableNotFound` listing where it looked.
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        argument0: String? = CommandLine.arguments.first,
        bundleExecutable: String? = Bundle.main.executablePath,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> String {
        let list = candidates(environment: environment, argument0: argument0,
                              bundleExecutable: bundleExecutable, currentDirectory: currentDirectory)
        guard let found = list.first(where: { FileManager.default.isExecutableFile(atPath: $0) && !isDirectory($0) }) else {
            throw TestClusterError.executableNotFound(searched: list)
        }
        return found
    }

    private static func isDirectory(_ path: String) -> Bool {
        var dir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &dir) && dir.boolValue
    }
}
