import Foundation
import ParleyProtocol

/// How a `ParleyClient` reaches its server and behaves when things go wrong.
public struct ClientConfiguration: Sendable {
    /// The node's HTTP base, e.g. `http://127.0.0.1:8080`; the socket is `ws://…/v1/ws`.
    public var serverURL: URL
    public var deviceId: String
    public var platform: Platform
    /// Waits between reconnection attempts.
    public var reconnect: Backoff
    /// How long an out-of-order message waits for the missing ones before they are fetched
    /// from history.
    public var gapTimeout: Duration
    /// Refresh the access token when this fraction of its lifetime is left.
    public var refreshMargin: Double

    public init(
        serverURL: URL, deviceId: String, platform: Platform = .ios, reconnect: Backoff = Backoff(),
        gapTimeout: Duration = .milliseconds(500), refreshMargin: Double = 0.2
    ) {
        self.serverURL = serverURL
        self.deviceId = deviceId
        self.platform = platform
        self.reconnect = reconnect
        self.gapTimeout = gapTimeout
        self.refreshMargin = refreshMargin
    }

    var socketURL: String { Self.socketURL(server: serverURL, deviceId: deviceId, platform: platform) }

    /// The WebSocket address of a node for a device: `ws(s)://host:port/v1/ws?deviceId=…&platform=…`.
    public static func socketURL(server: URL, deviceId: String, platform: Platform) -> String {
        var components = URLComponents(url: server, resolvingAgainstBaseURL: false)!
        components.scheme = server.scheme == "https" ? "wss" : "ws"
        components.path = "/v1/ws"
        components.queryItems = [URLQueryItem(name: "deviceId", value: deviceId), URLQueryItem(name: "platform", value: platform.rawValue)]
        return components.string!
    }
}
