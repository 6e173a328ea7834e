import ArgumentParser

@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "A Kubernetes service proxy: a kube-proxy replacement.",
        subcommands: [DryRunCommand.self, RunCommand.self, CleanupCommand.self, ExampleCommand.self, VersionCommand.self,
                      EchoServerCommand.self, ProbeCommand.self, DemoCommand.self, SynthCommand.self, TestAPIServerCommand.self, BenchCommand.self])
}
