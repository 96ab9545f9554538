import NIOCore
import NIOEmbedded
@_spi(Fuzzing) @testable import ParleyNATS
import Testing

@Suite("NATS protocol decoder")
struct NATSProtocolTests {
    /// Feeds bytes to the decoder as a channel would; the operations decoded, or the error.
    private func decode(_ text: String) throws -> [ServerOperation] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ServerOperationDecoder()))
        try channel.writeInbound(ByteBuffer(string: text))
        var operations: [ServerOperation] = []
        while let operation = try channel.readInbound(as: ServerOperation.self) { operations.append(operation) }
        return operations
    }

    @Test func aMessageAndAPingDecode() throws {
        let operations = try decode("MSG parley.user.1 7 5\r\nhello\r\nPING\r\n")
        #expect(operations.count == 2)
        guard case .message(let sid, let message)? = operations.first else {
            Issue.record("no message: \(operations)")
            return
        }
        #expect(sid == 7 && message.subject == "parley.user.1" && String(buffer: message.payload) == "hello")
    }

    /// Found by fuzzing: `lineLength + total + 2` overflowed and trapped, so a NATS server (or
    /// anyone between it and a plaintext node) could crash every node with one line.
    @Test(arguments: ["MSG a 1 9223372036854775807\r\n", "HMSG a 1 0 9223372036854775807\r\n", "MSG a 1 67108865\r\n"])
    func aPayloadSizeNearIntMaxIsAnErrorNotACrash(_ line: String) {
        #expect(throws: NATSError.self) { _ = try decode(line) }
    }
}
