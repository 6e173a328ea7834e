import ApplyIptables
import ArgumentParser

/// Options that choose how an applier talks to the kernel (not traffic policy).
struct ApplierOptions: ParsableArguments {
    @Option(name: .customLong("iptables-variant"),
            help: "iptables backend: legacy or nft (default: what the node already uses, detected like iptables-wrapper).")
    var iptablesVariant: IptablesVariant?
}

extension IptablesVariant: ExpressibleByArgument {}
