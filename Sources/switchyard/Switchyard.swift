import ArgumentParser

@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "A Kubernetes service proxy: a kube-proxy replacement.",
        subcommands: [DryRunCommand.self, ExampleCommand.self, VersionCommand.self,
                      EchoServerCommand.self, ProbeCommand.self, SynthCommand.self])
}
