import Synchronization

/// An upload's progress as `upload-progress <sent> <total>` lines, one per tenth of the file
/// at most: URLSession reports every few kilobytes, and a script reading the lines (or a
/// person) wants to see it move, not thousands of lines.
final class UploadProgressLines: Sendable {
    private let output: TerminalOutput
    /// The last tenth printed (0…10), -1 before the first line.
    private let printed = Mutex(-1)

    init(output: TerminalOutput) {
        self.output = output
    }

    /// Called on URLSession's queue; prints when `sent` reaches a tenth not printed yet.
    func report(_ sent: Int64, of total: Int64) {
        let tenth = total > 0 ? Int(min(sent, total) * 10 / total) : 10
        // Printed under the lock, so that two reports racing cannot print out of order.
        printed.withLock { last in
            guard tenth > last else { return }
            last = tenth
            output.say("upload-progress \(sent) \(total)")
        }
    }
}
