import Hummingbird
import HTTPTypes

/// What every media response carries: nothing a browser renders from here may sniff a type,
/// run script or tell where it was linked from (the URL may hold an access token).
enum MediaHeaders {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    static func apply(to response: Response) -> Response {
        var response = response
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "sandbox"
        response.headers[referrerPolicy] = "no-referrer"
        return response
    }
}
