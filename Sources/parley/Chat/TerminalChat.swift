import Foundation
import ParleyClient
import ParleyProtocol

/// The terminal chat session: commands in, event lines out.
actor TerminalChat {
    let client: ParleyClient
    let output: TerminalOutput
    private var me = ""
    /// The conversation plain lines are sent to.
    private var open: (conversationId: String?, peerId: String?) = (nil, nil)
    private var lastSeq: [String: Int64] = [:]

    init(client: ParleyClient, output: TerminalOutput) {
        self.client = client
        self.output = output
    }

    func run(input: AsyncStream<String>) async {
        me = await client.userId ?? ""
        let events = Task { await self.watch() }
        await client.start()
        for await line in input {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            if trimmed == "/quit" { break }
            do {
                try await perform(trimmed)
            } catch {
                say(Self.describe(error))
            }
        }
        await client.stop()
        events.cancel()
        say("bye")
    }

    private func say(_ line: String) { output.say(line) }

    private func perform(_ line: String) async throws {
        guard line.hasPrefix("/") else {
            try await sendToOpen(line)
            return
        }
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case "/help":
            say("commands: /list, /open <userId|conversationId>, /history [n], /read, /typing, /recall <messageId>, /send <userId> <text>, /send-file <path>, /friend <userId> [message], /accept <requestId>, /friends, /group <name> [userId ...], /whoami, /quit; other lines are sent to the open conversation")
        case "/whoami":
            say("me \(me)")
        case "/list":
            let conversations = try await client.conversations()
            for c in conversations {
                say("conversation \(c.conversationId) \(c.name.map { "group=\($0)" } ?? "peer=\(c.peerId ?? "-")") unread=\(c.unread) mentions=\(c.mentionUnread) last=\(Self.preview(c.lastMessage))")
            }
            say("listed \(conversations.count)")
        case "/open":
            guard !argument.isEmpty else { throw UsageError("usage: /open <userId|conversationId>") }
            if argument.hasPrefix("p_") || argument.hasPrefix("g_") {
                open = (argument, nil)
            } else {
                open = (privateConversation(with: argument), argument)
            }
            say("opened \(open.conversationId ?? "-")")
            try await showHistory(20)
            try await markOpenRead()
        case "/history":
            try await showHistory(Int(argument) ?? 20)
        case "/read":
            try await markOpenRead()
        case "/typing":
            guard let conversationId = open.conversationId else { throw UsageError("open a conversation first") }
            await client.typing(conversationId: conversationId, state: .start)
        case "/recall":
            guard let conversationId = open.conversationId, !argument.isEmpty else { throw UsageError("usage: /recall <messageId> in an open conversation") }
            let ack = try await client.recall(conversationId: conversationId, messageId: argument)
            say("recall-sent \(ack.conversationId) \(ack.messageId) \(ack.seq)")
        case "/send":
            let pieces = argument.split(separator: " ", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { throw UsageError("usage: /send <userId> <text>") }
            let ack = try await client.send(text: pieces[1], to: pieces[0])
            say("sent \(ack.conversationId) \(ack.seq) \(ack.messageId)")
        case "/send-file":
            guard !argument.isEmpty else { throw UsageError("usage: /send-file <path> in an open conversation") }
            try await sendFile(at: argument)
        case "/friend":
            let pieces = argument.split(separator: " ", maxSplits: 1).map(String.init)
            guard let userId = pieces.first else { throw UsageError("usage: /friend <userId> [message]") }
            let receipt = try await client.requestFriendship(with: userId, message: pieces.count > 1 ? pieces[1] : "")
            say("friend-request \(receipt.requestId) \(receipt.status)")
        case "/accept":
            guard !argument.isEmpty else { throw UsageError("usage: /accept <requestId>") }
            let receipt = try await client.answerFriendRequest(argument, accept: true)
            say("friend-request \(receipt.requestId) \(receipt.status)")
        case "/friends":
            let friends = try await client.friends()
            for friend in friends { say("friend \(friend.userId) \(friend.displayName)") }
            say("listed \(friends.count)")
        case "/group":
            let pieces = argument.split(separator: " ").map(String.init)
            guard let name = pieces.first else { throw UsageError("usage: /group <name> [userId ...]") }
            let created = try await client.createGroup(CreateGroup(name: name, memberIds: Array(pieces.dropFirst())))
            open = (created.conversationId, nil)
            say("group \(created.groupId) \(created.conversationId)")
            say("opened \(created.conversationId)")
        default:
            throw UsageError("unknown command \(parts[0]); /help lists them")
        }
    }

    private func sendToOpen(_ text: String) async throws {
        guard let conversationId = open.conversationId else { throw UsageError("open a conversation first (/open <userId>)") }
        let message = SendMessage(
            conversationType: open.peerId == nil ? nil : .private, receiverId: open.peerId,
            conversationId: open.peerId == nil ? conversationId : nil, contentType: "text",
            content: .object(["text": .string(text)]), localId: UUID().uuidString)
        let ack = try await client.send(message)
        say("sent \(ack.conversationId) \(ack.seq) \(ack.messageId)")
    }

    /// Uploads a file (resumably when large) and sends it to the open conversation as an
    /// image, video, audio or file message, by the kind the server found.
    private func sendFile(at path: String) async throws {
        guard let conversationId = open.conversationId else { throw UsageError("open a conversation first (/open <userId>)") }
        let file = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
            (attributes[.type] as? FileAttributeType) != .typeDirectory, let size = (attributes[.size] as? NSNumber)?.int64Value
        else { throw UsageError("no file at \(path)") }
        // The same rule as the SDK's `send(file:…)`; said here so the user knows what to expect.
        let threshold = ParleyClient.resumableUploadThreshold
        say("uploading \(file.lastPathComponent) \(size) \(size > threshold ? "resumable" : "single")")
        let lines = UploadProgressLines(output: output)
        let media = try await client.upload(file, resumableAbove: threshold) { sent, total in lines.report(sent, of: total) }
        say("uploaded \(media.mediaId) \(media.kind) \(media.size) \(media.mimeType)")
        let ack: SendAck
        if let peerId = open.peerId {
            ack = try await client.send(media: media, to: peerId)
        } else {
            ack = try await client.send(media: media, in: conversationId)
        }
        say("sent \(ack.conversationId) \(ack.seq) \(ack.messageId)")
    }

    private func showHistory(_ count: Int) async throws {
        guard let conversationId = open.conversationId else { throw UsageError("open a conversation first") }
        let page = try await client.history(HistoryRequest(conversationId: conversationId, limit: max(1, min(count, 200))))
        for item in page.messages { say("history " + Self.line(item)) }
        if let last = page.messages.last?.seq { lastSeq[conversationId] = max(lastSeq[conversationId] ?? 0, last) }
    }

    private func markOpenRead() async throws {
        guard let conversationId = open.conversationId, let seq = lastSeq[conversationId] else { return }
        let ack = try await client.markRead(conversationId: conversationId, seq: seq)
        say("read \(conversationId) \(ack.seq)")
    }

    private func privateConversation(with userId: String) -> String {
        me < userId ? "p_\(me)_\(userId)" : "p_\(userId)_\(me)"
    }

    private func watch() async {
        for await event in client.events {
            switch event {
            case .connected(let session):
                say("connected \(session.userId) \(session.deviceId)")
            case .disconnected:
                say("disconnected")
            case .message(let message):
                lastSeq[message.conversationId] = max(lastSeq[message.conversationId] ?? 0, message.seq)
                say("message " + Self.line(message))
                if message.senderId != me {
                    let conversationId = message.conversationId, seq = message.seq
                    let isOpen = conversationId == open.conversationId
                    Task {
                        if isOpen {
                            _ = try? await self.client.markRead(conversationId: conversationId, seq: seq)
                        } else {
                            _ = try? await self.client.markDelivered(conversationId: conversationId, seq: seq)
                        }
                    }
                }
            case .recalled(let conversationId, let messageId, _):
                say("recalled \(conversationId) \(messageId)")
            case .notification(let notice):
                say(Self.line(notice))
            case .conversationsChanged(let changed):
                for c in changed { say("changed \(c.conversationId) unread=\(c.unread)") }
            case .kicked(let reason):
                say("kicked \(reason)")
            }
        }
    }

    static func line(_ message: MessagePayload) -> String {
        "\(message.conversationId) \(message.seq) \(message.messageId) \(message.senderName ?? message.senderId): \(preview(message))"
    }

    static func preview(_ message: MessagePayload?) -> String {
        guard let message else { return "-" }
        if message.recalled { return "(recalled)" }
        if message.contentType == "recall" { return "(recall)" }
        return message.content?["text"]?.stringValue ?? "(\(message.contentType))"
    }

    static func line(_ notice: NotificationPayload) -> String {
        let data = notice.actionData
        func field(_ key: String) -> String {
            switch data[key] {
            case .string(let s)?: return s
            case .number(let n)?: return String(Int64(n))
            default: return "-"
            }
        }
        switch notice.notificationType {
        case NotificationType.readReceipt: return "receipt read \(field("conversationId")) \(field("userId")) \(field("seq"))"
        case NotificationType.deliveryReceipt: return "receipt delivered \(field("conversationId")) \(field("userId")) \(field("seq"))"
        case NotificationType.typing: return "typing \(field("conversationId")) \(field("userId")) \(field("state"))"
        default: return "notification \(notice.notificationType) \(notice.actionData.jsonText)"
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case ParleyClientError.server(let failure): return "error \(failure.code.rawValue) \(failure.message)"
        case let usage as UsageError: return "error usage \(usage.message)"
        default: return "error client \(error)"
        }
    }
}

struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
