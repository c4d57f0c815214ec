import NIOCore
import NIOPosix

/// Where virtual users' connections come from.
///
/// Real users come from many addresses; a load test whose every connection comes from 127.0.0.1 looks like
/// one user to a load balancer that picks the instance from the client's address (nginx's `ip_hash`), which
/// then sends the whole load to one instance. So when the target is a loopback IPv4 address, each virtual
/// user binds its connections to its own loopback address: user `u` to `127.(1 + u / 256 mod 255).(u mod
/// 256).1`. `ip_hash` keys on the first three octets, which differ from one user to the next for up to
/// 65,280 users, and 127.0.0.1 is never one of them. Linux routes all of 127.0.0.0/8 to the loopback
/// interface, so this needs no setup; where binding fails (macOS configures 127.0.0.1 only), every user
/// comes from the kernel's choice, with one warning.
///
/// A journey step sent as another user (``JourneyStep/asAnotherUser``) goes from the address of index
/// `users + u`, which no user of the run has.
struct SourceAddresses: Sendable {
    /// nil: let the kernel pick (127.0.0.1 for a loopback target).
    private let users: Int?

    /// The address of source number `index`: 127.1.0.1, 127.1.1.1, …, 127.1.255.1, 127.2.0.1, …
    static func loopback(_ index: Int) -> String {
        "127.\(1 + index / 256 % 255).\(index % 256).1"
    }

    /// Every user from the address the kernel picks.
    static let kernelChooses = SourceAddresses(users: nil)

    private init(users: Int?) {
        self.users = users
    }

    /// The source for user `user`'s own connections, or for its connection as another user.
    func address(user: Int, asAnotherUser: Bool) -> SocketAddress? {
        guard let users = self.users else { return nil }
        return try? SocketAddress(ipAddress: Self.loopback(asAnotherUser ? users + user : user), port: 0)
    }

    /// Decides the sources for a run, and says in words what it decided (``LoadResult/sourceAddresses``).
    /// - Parameters:
    ///   - target: the resolved address of the server under test.
    ///   - single: the plan asks for one source address (``LoadPlan/singleSourceAddress``).
    ///   - eventLoop: where to try binding the first address, to know whether this system allows it.
    static func choose(for plan: LoadPlan, target: SocketAddress, on eventLoop: any EventLoop) async -> (SourceAddresses, String) {
        guard case .v4 = target, target.ipAddress?.hasPrefix("127.") == true else {
            return (.kernelChooses, "the address the system picks (the target is not a loopback IPv4 address)")
        }
        if plan.singleSourceAddress {
            return (.kernelChooses, "one address, 127.0.0.1 (a single source address was asked for)")
        }
        do {
            let probe = try await DatagramBootstrap(group: eventLoop).bind(to: SocketAddress(ipAddress: Self.loopback(0), port: 0)).get()
            try? await probe.close()
        } catch {
            let warning =
                "one address, 127.0.0.1. Warning: this system does not let the load tool use \(Self.loopback(0)), so a load "
                + "balancer that picks the instance by the client's address (nginx's ip_hash) saw a single user. Error: \(error)"
            return (.kernelChooses, warning)
        }
        var text = "one address per user, \(Self.loopback(0)) to \(Self.loopback(plan.users - 1))"
        if plan.journeys.contains(where: { $0.steps.contains(where: \.asAnotherUser) }) {
            text += "; steps as another user from \(Self.loopback(plan.users)) to \(Self.loopback(2 * plan.users - 1))"
        }
        return (SourceAddresses(users: plan.users), text)
    }
}
