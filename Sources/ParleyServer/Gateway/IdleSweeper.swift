import ParleyCore

extension Gateway {
    /// Closes sessions that sent nothing within the idle timeout. One loop for the node,
    /// not a timer per session: sessions stay small.
    func sweepIdleSessions() async {
        let timeoutMs = Int64(configuration.idleTimeout) * 1000
        let period = Duration.milliseconds(max(100, min(timeoutMs / 4, 5_000)))
        while !Task.isCancelled {
            do { try await Task.sleep(for: period) } catch { return }
            let now = chat.clock.now()
            for session in registry.all() where now - session.lastHeard.load(ordering: .relaxed) > timeoutMs {
                logger.debug("idle timeout", metadata: ["session": "\(session.id)"])
                chat.metrics.heartbeatTimeouts.add()
                session.close(code: CloseCodes.idleTimeout, reason: "idle timeout")
            }
        }
    }
}
