import ArgumentParser
import Foundation
import Logging
import ParleyClient

/// `parley chat`: a terminal client on the SDK, for people and scripts.
///
/// Reads commands from standard input, one per line, and prints one line per event, so a
/// script can drive it through a pipe as well as a person at a terminal. `/help` lists the
/// commands.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Chat from the terminal.",
        discussion: """
            Type /help for the commands. Plain lines go to the open conversation; /send-file PATH \
            uploads a file (resumably when over 8 MiB), printing its progress, and sends it there \
            as an image, video, audio or file message.
            """)

    @Option(help: "The node's HTTP address.") var server = "http://127.0.0.1:8080"
    @Option(help: "Your username.") var username: String
    @Option(help: "Your password (env PARLEY_PASSWORD).") var password: String?
    @Option(help: "This device's id.") var device = "terminal"
    @Flag(help: "Create the account first.") var register = false

    func run() async throws {
        guard let url = URL(string: server) else { throw ValidationError("'\(server)' is not a URL") }
        guard let password = password ?? ProcessInfo.processInfo.environment["PARLEY_PASSWORD"] else {
            throw ValidationError("give --password or PARLEY_PASSWORD")
        }
        var logger = Logger(label: "parley.chat")
        logger.logLevel = .error
        let client = ParleyClient(configuration: ClientConfiguration(serverURL: url, deviceId: device, platform: .desktop), logger: logger)
        if register {
            try await client.register(username: username, password: password)
        } else {
            try await client.login(username: username, password: password)
        }
        let session = TerminalChat(client: client, output: TerminalOutput())
        await session.run(input: TerminalInput.lines())
    }
}

/// Lines written to standard output, flushed one by one (scripts read them as they come).
struct TerminalOutput: Sendable {
    func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Standard input as an async sequence of lines, read on a thread of its own.
enum TerminalInput {
    static func lines() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let reader = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        reader.start()
        return stream
    }
}
