import Foundation
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import ParleyCore
import ParleyTasks

/// Sends the `email` provider's digests through an SMTP relay (`--smtp-url`): `smtp://` upgrades
/// with STARTTLS when the server offers it, `smtps://` is TLS from the start. One connection per
/// e-mail: digests are rare (one per conversation per `--email-push-delay`).
public final class SMTPMailer: EmailSender {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var implicitTLS: Bool
        public var from: String
        public var username: String?
        public var password: String?
        /// Extra trusted CA certificates (PEM), as for the other push endpoints.
        public var caFile: String?
        public var timeout: Duration

        public init(url: String, from: String, username: String?, password: String?, caFile: String?, timeout: Duration) throws {
            guard let parts = URLComponents(string: url), let scheme = parts.scheme, scheme == "smtp" || scheme == "smtps",
                let host = parts.host, !host.isEmpty
            else {
                throw PushConfigurationError("--smtp-url must be smtp://host:port or smtps://host:port")
            }
            guard Chat.isEmailAddress(from) else { throw PushConfigurationError("--smtp-from must be an e-mail address") }
            self.host = host
            self.implicitTLS = scheme == "smtps"
            self.port = parts.port ?? (scheme == "smtps" ? 465 : 25)
            self.from = from
            self.username = username ?? parts.user?.removingPercentEncoding
            self.password = password ?? parts.password?.removingPercentEncoding
            self.caFile = caFile
            self.timeout = timeout
        }
    }

    let settings: Settings
    private let tls: NIOSSLContext

    public init(settings: Settings) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile = settings.caFile { configuration.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caFile))] }
        tls = try NIOSSLContext(configuration: configuration)
        self.settings = settings
    }

    public func send(_ email: OutgoingEmail) async -> PushResult {
        guard Chat.isEmailAddress(email.to) else { return .deadToken(reason: "not an e-mail address") }
        let message = EmailMessage.render(email, from: settings.from)
        let credentials = settings.username.map { ($0, settings.password ?? "") }
        let conversation = SMTPConversation(
            helloName: "parley.localhost", from: settings.from, to: email.to, message: message, credentials: credentials,
            security: settings.implicitTLS ? .implicit : (Self.isLoopback(settings.host) ? .startTLSWhenOffered : .startTLSRequired))
        do {
            switch try await deliver(conversation) {
            case .delivered: return .sent
            case .recipientRefused(let reason): return .deadToken(reason: "smtp \(reason.prefix(3))")
            case .transient(let reason): return .retry(reason: "smtp \(reason.prefix(60))", after: nil)
            case .permanent(let reason): return .failed(reason: "smtp \(reason.prefix(60))")
            }
        } catch {
            return .retry(reason: "smtp: \(String(describing: error).prefix(80))", after: nil)
        }
    }

    private func deliver(_ conversation: SMTPConversation) async throws -> SMTPConversation.Outcome {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: SMTPConversation.Outcome.self)
        let settings = self.settings
        let tls = self.tls
        let connecting = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if settings.implicitTLS {
                        try operations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(settings.host)))
                    }
                    try operations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder()))
                    try operations.addHandler(SMTPHandler(
                        conversation: conversation, promise: promise, tls: tls, serverHostname: Self.sniName(settings.host)))
                }
            }
            .connect(host: settings.host, port: settings.port)
        let channel: any Channel
        do {
            channel = try await connecting.get()
        } catch {
            promise.fail(error)
            throw error
        }
        let deadline = loop.scheduleTask(in: .milliseconds(settings.timeout.milliseconds)) {
            promise.fail(SMTPError("no answer within \(settings.timeout)"))
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        return try await promise.futureResult.get()
    }

    /// A relay on this machine may speak without TLS; any other must offer STARTTLS.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// SNI takes host names, not addresses.
    static func sniName(_ host: String) -> String? {
        host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : host
    }
}

/// Feeds the server's lines to the conversation and performs its actions.
final class SMTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var conversation: SMTPConversation
    private var reader = SMTPConversation.ReplyReader()
    private let promise: EventLoopPromise<SMTPConversation.Outcome>
    private let tls: NIOSSLContext
    private let serverHostname: String?

    init(conversation: SMTPConversation, promise: EventLoopPromise<SMTPConversation.Outcome>, tls: NIOSSLContext, serverHostname: String?) {
        self.conversation = conversation
        self.promise = promise
        self.tls = tls
        self.serverHostname = serverHostname
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = String(buffer: unwrapInboundIn(data))
        do {
            guard let reply = try reader.read(line) else { return }
            perform(conversation.receive(reply), context: context)
        } catch {
            promise.fail(error)
            context.close(promise: nil)
        }
    }

    private func perform(_ actions: [SMTPConversation.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let command):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: command + "\r\n")), promise: nil)
            case .startTLS:
                do {
                    // In front of the line decoder: what follows is read through TLS.
                    let handler = try NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                    try context.pipeline.syncOperations.addHandler(handler, position: .first)
                } catch {
                    promise.fail(error)
                    context.close(promise: nil)
                    return
                }
            case .finish(let outcome):
                promise.succeed(outcome)
                // QUIT was flushed just before.
                context.close(promise: nil)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for action in conversation.closed() {
            if case .finish(let outcome) = action { promise.succeed(outcome) }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
