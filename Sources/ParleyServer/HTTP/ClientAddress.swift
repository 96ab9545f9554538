import Foundation
import HTTPTypes
import Hummingbird
#if canImport(Glibc)
import Glibc
#endif

/// Where a request comes from, as the per-address limits (login throttle, registrations,
/// refreshes) count it.
///
/// Behind a load balancer every connection comes from the balancer: without
/// `--trusted-proxies` the whole deployment would share one address's allowance. A request
/// from a trusted proxy is counted at the right-most `X-Forwarded-For` hop that is not itself
/// a trusted proxy (hops further left are the client's word, which anyone can forge). IPv6
/// addresses count by their /64, the block one subscriber gets: rotating through it gains
/// nothing.
public struct ClientAddress: Sendable {
    public let trustedProxies: Set<String>

    public init(trustedProxies: Set<String> = []) {
        self.trustedProxies = Set(trustedProxies.map { Self.key(for: $0) })
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The key a request's limits are counted under; nil when the peer has no IP address.
    func of(_ request: Request, context: ParleyRequestContext) -> String? {
        guard let peer = context.channel.remoteAddress?.ipAddress else { return nil }
        var client = Self.key(for: peer)
        guard trustedProxies.contains(client) else { return client }
        let hops = request.headers[values: Self.forwardedFor]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard Self.isIPAddress(hop) else { break }
            client = Self.key(for: hop)
            if !trustedProxies.contains(client) { break }
        }
        return client
    }

    /// An IPv4 address as it is; an IPv6 address as its /64 (an IPv4-mapped one as the IPv4).
    static func key(for address: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        let prefix = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return prefix.joined(separator: ":") + "::/64"
    }

    static func isIPAddress(_ text: String) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &bytes) == 1 || inet_pton(AF_INET6, text, &bytes) == 1
    }
}

extension ClientAddress {
    /// Whether a configured proxy address is an IP address.
    public static func isValid(_ text: String) -> Bool { isIPAddress(text) }
}
