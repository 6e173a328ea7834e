import Glibc
import IPVSNetlink
import SwitchyardCore
import Testing
@testable import ApplyIPVS

/// `switchyard cleanup --kube-proxy` against kube-proxy's IPVS-mode leftovers in a real IPVS kernel (the UML
/// guest): the kube-ipvs0 dummy and the virtual servers on its addresses go; a foreign virtual server stays.
@Suite(.serialized, .enabled(if: UMLGuest.hasIPVS, "needs the UML guest (scripts/test-ipvs)"))
struct KubeProxyIPVSCleanupTests {
    /// The `switchyard` executable beside the test bundle in the build directory.
    static var switchyard: String {
        let bundle = CommandLine.arguments.first ?? ""
        return NSStringPath(bundle).deletingLastComponent + "/switchyard"
    }

    @Test func removesKubeIPVS0AndItsVirtualServersOnly() async throws {
        try await UMLGuest.withNamespaces(["kp"]) { names in
            let ns = names[0]
            try UMLGuest.sh(ns, """
                ip link add kube-ipvs0 type dummy
                ip addr add 10.96.0.1/32 dev kube-ipvs0
                ip addr add 10.96.0.10/32 dev kube-ipvs0
                """)
            let client = try NamespaceThread.run(netns: ns) { try IPVSClient() }
            let kubeAPI = IPVSService(key: .address(protocol: .tcp, address: IPAddress("10.96.0.1")!, port: 443))
            let kubeDNS = IPVSService(key: .address(protocol: .udp, address: IPAddress("10.96.0.10")!, port: 53))
            let foreign = IPVSService(key: .address(protocol: .tcp, address: IPAddress("198.51.100.77")!, port: 8080))
            try client.executeOrThrow([.newService(kubeAPI), .newService(kubeDNS), .newService(foreign)])
            #expect(try client.services().count == 3)

            let out = try UMLGuest.sh(ns, "\(Self.switchyard) cleanup --kube-proxy 2>&1")
            let left = try client.services().map(\.service.key)
            #expect(left == [foreign.key], "only the foreign virtual server is left: \(left); cleanup said: \(out)")
            let link = try HostProcess.run(["ip", "netns", "exec", ns, "ip", "link", "show", "kube-ipvs0"])
            #expect(link.status != 0, "kube-ipvs0 is gone")

            // Idempotent: a second run finds nothing more and still leaves the foreign server.
            _ = try UMLGuest.sh(ns, "\(Self.switchyard) cleanup --kube-proxy 2>&1")
            #expect(try client.services().map(\.service.key) == [foreign.key])
            try client.executeOrThrow([.deleteService(foreign.key)])
        }
    }
}

/// `dirname` for a path string without Foundation.
private struct NSStringPath {
    let value: String
    init(_ value: String) { self.value = value }
    var deletingLastComponent: String {
        guard let slash = value.lastIndex(of: "/") else { return "." }
        return String(value[..<slash])
    }
}
