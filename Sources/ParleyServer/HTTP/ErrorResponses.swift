import Foundation
import Hummingbird
import Logging
import NIOCore
import ParleyCore
import ParleyProtocol

/// Turns every error into `{"error": {"code", "message"}}` with a matching HTTP status.
/// Internal failures are logged once and never leak detail to the client.
struct ErrorResponses: RouterMiddleware {
    typealias Context = ParleyRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, to: request, context: context)
        }
    }

    /// The answer to a failed request: logged once when it is the server's own failure.
    static func response(for error: any Error, to request: Request, context: Context) -> Response {
        let failure = chatError(error)
        if failure.code == .internal {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
        }
        var response = JSONBody.response(ErrorBody(error: failure.payload), status: status(failure.code))
        if let wait = failure.retryAfterMs {
            response.headers[.retryAfter] = String(max(1, (wait + 999) / 1000))
        }
        return response
    }

    struct ErrorBody: Encodable, Sendable {
        var error: ErrorPayload
    }

    static func chatError(_ error: any Error) -> ChatError {
        guard let http = error as? any HTTPResponseError else { return ChatError.from(error) }
        switch http.status {
        case .notFound: return .notFound("no such endpoint")
        case .methodNotAllowed: return .badRequest("method not allowed on this endpoint")
        case .contentTooLarge: return ChatError(.tooLarge, "request body too large")
        case .unauthorized: return .unauthorized
        default: return .badRequest((http as? HTTPError)?.body ?? "bad request")
        }
    }

    static func status(_ code: ErrorCode) -> HTTPResponse.Status {
        switch code {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden, .blocked: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }
}

/// JSON request and response bodies, with the protocol's error messages.
enum JSONBody {
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: FrameCoder.encode(value))))
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: ParleyRequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return try FrameCoder.decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// Like `decode`, but an empty body is nil (for bodies whose every field is optional).
    static func decodeIfPresent<T: Decodable>(_ type: T.Type, from request: Request, context: ParleyRequestContext) async throws -> T? {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        if buffer.readableBytes == 0 { return nil }
        return try FrameCoder.decode(T.self, from: Data(buffer.readableBytesView))
    }
}
