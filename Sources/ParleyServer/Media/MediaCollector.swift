import Logging
import ParleyCore
import ParleyMedia
import ServiceLifecycle

/// Every ten minutes: media no message references past its grace goes, with the bytes no
/// upload uses any more, and resumable uploads past their expiry.
struct MediaCollector: Service {
    let media: NodeMedia
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    var (removed, blobs) = (0, 0)
                    repeat {
                        (removed, blobs) = try await media.library.collect()
                        if removed + blobs > 0 { logger.info("media collected", metadata: ["media": "\(removed)", "blobs": "\(blobs)"]) }
                    } while removed + blobs >= 500 && !Task.isCancelled
                } catch {
                    logger.warning("media not collected", metadata: ["error": "\(error)"])
                }
                // On this node's disk alone: a store that fails must not stop the disk's clean-up.
                let expired = await media.uploads.expire(now: media.library.clock.now())
                if expired > 0 { logger.info("unfinished uploads expired", metadata: ["uploads": "\(expired)"]) }
                try? await Task.sleep(for: .seconds(600))
            }
        }
    }
}
