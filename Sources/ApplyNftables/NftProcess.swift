import Apply

/// `nft` runs through the shared `ToolProcess`; its messages are read from stdout and stderr together.
enum NftProcess {
    typealias Result = ToolProcess.Result

    /// Runs `argv` (argv[0] looked up in PATH) with `input` on stdin.
    static func run(_ argv: [String], input: String) throws -> Result { try ToolProcess.run(argv, input: input) }

    /// An unlinked temporary file holding `text`, positioned at its start.
    static func temporaryFile(_ text: String) throws -> Int32 { try ToolProcess.temporaryFile(text) }
}
