import Foundation
import ParleyProtocol
import Testing

/// Random and mutated client frames: parsing never crashes and always gives a command or a
/// `ProtocolViolation` (which the gateway answers with `bad_request`). A bounded property test
/// standing in for a fuzzer: thousands of inputs per run, seeded so a failure can be replayed.
@Suite("Frame decoder fuzzing")
struct FrameFuzzTests {
    static let seeds: [String] = [
        #"{"type":"message","requestId":"r1","data":{"conversationType":"private","receiverId":"42","contentType":"text","content":{"text":"你好"},"localId":"l1","atUsers":[],"replyTo":null}}"#,
        #"{"type":"ack","data":{"conversationId":"p_1_2","seq":3,"status":"read"}}"#,
        #"{"type":"sync","requestId":"s","data":{"since":0,"notificationsAfter":0}}"#,
        #"{"type":"history","data":{"conversationId":"g_9","beforeSeq":10,"limit":5}}"#,
        #"{"type":"edit","data":{"conversationId":"p_1_2","messageId":"m","content":{"text":"x"}}}"#,
        #"{"type":"react","data":{"conversationId":"p_1_2","messageId":"m","emoji":"👍"}}"#,
        #"{"type":"delete","data":{"conversationId":"p_1_2","messageIds":["a","b"]}}"#,
        #"{"type":"presence","data":{"status":"away"}}"#,
        #"{"type":"typing","data":{"conversationId":"p_1_2","state":"start"}}"#,
        #"{"type":"ping"}"#,
    ]

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let interesting: [[UInt8]] = [
        Array("null".utf8), Array("{}".utf8), Array("[]".utf8), Array("\"".utf8), Array("-1e999".utf8),
        Array("9223372036854775808".utf8), Array("\\u0000".utf8), [0xFF, 0xFE], [0xC3], Array("{\"type\":".utf8),
    ]

    func mutate(_ input: [UInt8], using random: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 1 where !bytes.isEmpty:
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
            case 2:
                let chunk = Self.interesting.randomElement(using: &random)!
                bytes.insert(contentsOf: chunk, at: Int.random(in: 0...bytes.count, using: &random))
            case 3 where bytes.count > 2:
                bytes = Array(bytes.prefix(Int.random(in: 1..<bytes.count, using: &random)))
            default:
                bytes += bytes.prefix(Int.random(in: 0...min(64, bytes.count), using: &random))
            }
        }
        return bytes
    }

    @Test func mutatedFramesNeverCrashTheDecoder() {
        var random = Generator(state: 20261122)
        var understood = 0, refused = 0
        for round in 0..<20_000 {
            let input: [UInt8]
            if round % 10 == 0 {
                input = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                input = mutate(Array(Self.seeds.randomElement(using: &random)!.utf8), using: &random)
            }
            switch ClientFrame.parse(Data(input)).command {
            case .success: understood += 1
            case .failure(let violation):
                refused += 1
                #expect(!violation.message.isEmpty)
            }
        }
        #expect(understood + refused == 20_000 && refused > 1_000 && understood > 100)
    }

    @Test func mutatedBodiesNeverCrashTheJSONDecoding() {
        var random = Generator(state: 7)
        let bodies = [
            #"{"username":"alice","password":"correct horse","displayName":"A"}"#, #"{"name":"g","memberIds":["1","2"]}"#,
            #"{"userId":"5","message":"hi"}"#, #"{"pinned":true,"muted":false}"#, #"{"until":1795000000000}"#,
        ]
        for _ in 0..<10_000 {
            let data = Data(mutate(Array(bodies.randomElement(using: &random)!.utf8), using: &random))
            _ = try? FrameCoder.decode(RegisterRequest.self, from: data)
            _ = try? FrameCoder.decode(CreateGroup.self, from: data)
            _ = try? FrameCoder.decode(FriendRequestBody.self, from: data)
            _ = try? FrameCoder.decode(ConversationSettings.self, from: data)
            _ = try? FrameCoder.decode(MemberMute.self, from: data)
            _ = try? FrameCoder.decode(SendMessage.self, from: data)
        }
    }
}

@Suite("NUL characters")
struct NULTests {
    @Test func framesAndBodiesWithNULStringsAreRefused() {
        let frame = Data(#"{"type":"message","requestId":"r","data":{"receiverId":"a\u0000b","contentType":"text","content":{"text":"x"},"localId":"l"}}"#.utf8)
        guard case .failure(let violation) = ClientFrame.parse(frame).command else {
            Issue.record("a NUL in a string must be refused")
            return
        }
        #expect(violation.message.contains("NUL"))
        #expect(throws: ProtocolViolation.self) { try FrameCoder.decode(FriendRequestBody.self, from: Data(#"{"userId":"e\u0000"}"#.utf8)) }
        #expect(!FrameCoder.containsNUL(Data(#"{"text":"\u0001 fine"}"#.utf8)))
    }
}
