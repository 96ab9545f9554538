import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An upload's progress callback, fed from every request of the upload.
///
/// Byte counts come from URLSession's delegate queue (bytes written to the socket) and from the
/// driver (offsets the server confirmed). Told to a user as is, they could go back — a
/// resumable upload that lost a chunk restarts it from the server's offset — or repeat. Apps
/// draw progress bars from this, so it only ever reports a value larger than the last one,
/// never more than `total`.
final class UploadProgress: Sendable {
    let total: Int64
    private let callback: @Sendable (Int64, Int64) -> Void
    private let reported = Mutex<Int64>(-1)

    init(total: Int64, _ callback: @escaping @Sendable (Int64, Int64) -> Void) {
        self.total = total
        self.callback = callback
    }

    /// Reports `sent` bytes of `total`, unless no more than already reported.
    func report(_ sent: Int64) {
        let value = min(max(sent, 0), total)
        // The callback runs under the lock: two queues reporting at once must not reach the app
        // in the wrong order. It must not call back into this reporter (it has no way to).
        reported.withLock { last in
            guard value > last else { return }
            last = value
            callback(value, total)
        }
    }

    /// A URLSession task delegate that reports one request's body bytes, counted from `base`
    /// (the file offset the request's body starts at).
    func delegate(startingAt base: Int64 = 0) -> UploadProgressDelegate {
        UploadProgressDelegate(progress: self, base: base)
    }
}

/// Forwards a task's `didSendBodyData` to an `UploadProgress`.
///
/// `Sendable` without `@unchecked`: its stored properties are immutable and `Sendable`, and
/// Swift allows a final `NSObject` subclass to conform on those terms.
final class UploadProgressDelegate: NSObject, URLSessionTaskDelegate, Sendable {
    private let progress: UploadProgress
    private let base: Int64

    init(progress: UploadProgress, base: Int64) {
        self.progress = progress
        self.base = base
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64, totalBytesSent: Int64,
        totalBytesExpectedToSend: Int64
    ) {
        progress.report(base + totalBytesSent)
    }
}
