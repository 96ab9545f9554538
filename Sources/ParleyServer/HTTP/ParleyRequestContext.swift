import Hummingbird
import HummingbirdWebSocket
import NIOCore
import ParleyCore

/// The request context of every HTTP request and WebSocket upgrade.
struct ParleyRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    /// The connection, so a slow WebSocket consumer can be cut off hard.
    let channel: any Channel
    /// Set by `Authentication` for protected routes.
    var caller: Caller?
    /// Set by `Authentication` on the WebSocket upgrade.
    var device: DeviceIdentity?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
    }

    /// Every JSON body is small; nothing larger is read into memory.
    var maxUploadSize: Int { 256 * 1024 }

    /// The authenticated caller; routes behind `Authentication` always have one.
    func requireCaller() throws -> Caller {
        guard let caller else { throw ChatError.unauthorized }
        return caller
    }
}

/// Who is on the other end of a WebSocket: the caller and the device it announced.
struct DeviceIdentity: Sendable {
    var caller: Caller
    var deviceId: String
    var platform: String
}
