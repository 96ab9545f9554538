import Foundation
import ParleyMedia
import Testing

@Suite("S3 request signing (SigV4)")
struct SignatureV4Tests {
    /// The worked example of AWS's S3 documentation ("Signature calculation: GET object"): a
    /// signer that gets it wrong is refused by every real S3 store, whatever a lenient test
    /// server accepts.
    @Test func theDocumentedGetObjectExampleSignsAsDocumented() throws {
        let signer = SignatureV4(
            accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
        let headers = signer.sign(
            method: "GET", path: "/test.txt", headers: ["Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9"],
            payloadHash: SignatureV4.emptyPayload, date: date)
        #expect(headers["x-amz-date"] == "20130524T000000Z")
        #expect(
            headers["authorization"]
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }
}
