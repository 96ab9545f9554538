import Hummingbird
import NIOCore
import ParleyCore
import ParleyStore
import ParleyTasks

/// `/metrics` (Prometheus text format) and `/readyz` (the node can serve: its store answers).
struct ObservabilityRoutes {
    let chat: Chat
    let gateway: Gateway
    let tasks: any TaskQueue
    let media: MediaLibrary

    func add(to router: Router<ParleyRequestContext>) {
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: exposition())))
        }
        router.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPI.document)))
        }
        router.get("readyz") { _, _ in
            do {
                _ = try await chat.store.user(id: "readiness-probe")
                return JSONBody.response(Readiness(status: "ready", store: "ok", media: mediaReadiness))
            } catch {
                return JSONBody.response(Readiness(status: "unready", store: "failing", media: mediaReadiness), status: .serviceUnavailable)
            }
        }
    }

    /// `/readyz`: the store answers; what the media tools can do (a node without them still
    /// serves, so they do not make it unready).
    struct Readiness: Encodable, Sendable {
        var status: String
        var store: String
        var media: MediaReadiness
    }

    struct MediaReadiness: Encodable, Sendable {
        var storage: String
        var images: String
        var video: String
    }

    var mediaReadiness: MediaReadiness {
        let tools = media.processor.capabilities
        return MediaReadiness(
            storage: media.storage.name, images: tools.images ? "ok" : "unavailable", video: tools.video ? "ok" : "unavailable")
    }

    /// The metrics in Prometheus text exposition format (names in docs/operations.md).
    func exposition() -> String {
        let m = chat.metrics
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: Int) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        func histogram(_ name: String, _ help: String, _ histogram: DurationHistogram) {
            let (cumulative, sum) = histogram.snapshot
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (bound, count) in zip(DurationHistogram.bounds, cumulative) { out += "\(name)_bucket{le=\"\(bound)\"} \(count)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(cumulative.last ?? 0)\n\(name)_sum \(sum)\n\(name)_count \(cumulative.last ?? 0)\n"
        }
        let sessions = gateway.registry.all()
        metric("parley_connections", "gauge", "WebSocket sessions open on this node.", m.connections.current)
        metric("parley_connections_peak", "gauge", "Most WebSocket sessions open at once since start.", m.connections.peak)
        metric("parley_connection_attempts_total", "counter", "WebSocket upgrade requests.", m.connectionAttempts.current)
        metric("parley_connections_accepted_total", "counter", "WebSocket sessions opened.", m.connectionsAccepted.current)
        metric("parley_heartbeat_timeouts_total", "counter", "Sessions closed for silence (4002).", m.heartbeatTimeouts.current)
        metric("parley_slow_consumer_cutoffs_total", "counter", "Sessions cut off because the client did not read.", m.slowConsumerCutoffs.current)
        metric("parley_outbound_queue_frames", "gauge", "Frames queued for sessions, not yet taken by their sockets.", sessions.reduce(0) { $0 + $1.queueDepth })
        metric("parley_messages_received_total", "counter", "Messages clients sent (socket and HTTP).", m.messagesReceived.current)
        metric("parley_frames_delivered_total", "counter", "Frames written to sessions (messages, notifications, replies).", m.framesDelivered.current)
        metric("parley_messages_delivered_total", "counter", "Message frames handed to sessions (one per message per device).", m.messagesDelivered.current)
        metric("parley_filter_masked_total", "counter", "Sensitive words masked.", m.filterMasked.current)
        metric("parley_filter_rejected_total", "counter", "Messages refused by the content filter.", m.filterRejected.current)
        metric("parley_rate_limited_total", "counter", "Requests refused with rate_limited.", m.rateLimited.current)
        metric("parley_login_failures_total", "counter", "Failed logins.", m.loginFailures.current)
        metric("parley_login_throttled_total", "counter", "Logins refused by throttling.", m.loginThrottled.current)
        let published = chat.bus.published
        out += "# HELP parley_bus_published_total Messages this node sent to other nodes, by route (0 on one node).\n"
        out += "# TYPE parley_bus_published_total counter\n"
        for route in ["user", "node", "disconnect", "roster"] {
            out += "parley_bus_published_total{route=\"\(route)\"} \(published[route] ?? 0)\n"
        }
        let taskCounts = tasks.counts
        metric("parley_tasks_enqueued_total", "counter", "Background tasks (event webhook calls) queued by this node.", taskCounts.enqueued)
        metric("parley_tasks_completed_total", "counter", "Background tasks this node ran to completion.", taskCounts.completed)
        metric("parley_tasks_retried_total", "counter", "Background task runs that failed and will run again.", taskCounts.retried)
        metric("parley_tasks_dead_total", "counter", "Background tasks this node gave up (dead-lettered).", taskCounts.dead)
        let push = m.push
        func labelled(_ name: String, _ help: String, _ counts: [String: Int], labels: (String) -> String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (key, value) in counts.sorted(by: { $0.key < $1.key }) { out += "\(name){\(labels(key))} \(value)\n" }
        }
        func quoted(_ text: Substring) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        labelled("parley_push_sent_total", "Pushes a provider accepted, by provider.", push.sent.snapshot) { "provider=\(quoted($0[...]))" }
        labelled("parley_push_failed_total", "Pushes given up, by provider and reason.", push.failed.snapshot) { key in
            let parts = key.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            return "provider=\(quoted(parts[0])),reason=\(quoted(parts.count > 1 ? parts[1] : ""))"
        }
        labelled("parley_push_skipped_total", "Pushes not sent, by reason (online, muted, disabled, …).", push.skipped.snapshot) {
            "reason=\(quoted($0[...]))"
        }
        histogram("parley_push_send_seconds", "Provider calls (APNs, FCM, …), whatever their answer.", push.sendDuration)
        let media = m.media
        labelled("parley_media_uploads_total", "Uploads stored, by kind.", media.uploads.snapshot) { "kind=\(quoted($0[...]))" }
        metric("parley_media_bytes_in_total", "counter", "Bytes of uploads stored.", media.bytesIn.current)
        metric("parley_media_bytes_out_total", "counter", "Bytes of media sent to downloaders.", media.bytesOut.current)
        histogram("parley_media_processing_seconds", "From an upload's last byte to its answer: sniffing, processing, storing.", media.processing)
        histogram("parley_send_ack_seconds", "From a message frame's arrival to its ack.", m.sendToAck)
        histogram("parley_delivery_seconds", "From a message's arrival to its frames being queued for the recipients.", m.delivery)
        histogram("parley_store_append_seconds", "Time to persist a message.", m.storeAppend)
        if let engine = chat.store as? any EngineStatistics {
            for figure in engine.engineStatistics { metric(figure.name, figure.kind.rawValue, figure.help, figure.value) }
        }
        return out
    }
}
