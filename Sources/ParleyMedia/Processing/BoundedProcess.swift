import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs a tool (vips, ffprobe, ffmpeg) on untrusted input as a separate process, bounded in
/// time and in the output kept: a decoder that crashes or spins takes only its own process
/// down, and is killed at its deadline or when the request that wanted it is cancelled.
enum BoundedProcess {
    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var errors: String
        var timedOut: Bool
    }

    /// The most address space a tool may map: a picture at the pixel limit decodes in a few
    /// hundred MiB; a file that would take more is refused by the kernel, not the node's memory.
    static let memoryLimit: Int64 = 2 << 30

    /// `prlimit` (util-linux) sets the limits and becomes the tool, so the deadline's kill reaches it.
    static let limiter = locate("prlimit")

    /// Runs `executable` with `arguments` and a minimal environment (plus `environment`), under
    /// the memory limit and a CPU-time limit a little past `timeout` when `prlimit` is there.
    static func run(_ executable: String, _ arguments: [String], timeout: Double, environment: [String: String] = [:]) async throws -> Outcome {
        let process = Process()
        if let limiter {
            process.executableURL = URL(fileURLWithPath: limiter)
            process.arguments = ["--as=\(memoryLimit)", "--cpu=\(Int(timeout) + 5)", "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LC_ALL": "C"]
        env.merge(environment) { _, new in new }
        process.environment = env
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let exit = ExitSignal()
        process.terminationHandler = { exit.finish($0.terminationStatus) }
        let outputReader = PipeDrain(output.fileHandleForReading, keep: 1 << 20)
        let errorReader = PipeDrain(errors.fileHandleForReading, keep: 16 << 10)
        try process.run()
        let pid = process.processIdentifier
        let killed = Atomic<Bool>(false)
        let kill = { @Sendable in
            if !exit.isFinished {
                killed.store(true, ordering: .relaxed)
                Glibc.kill(pid, SIGKILL)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: kill)
        let status = await withTaskCancellationHandler { await exit.wait() } onCancel: { kill() }
        try? output.fileHandleForWriting.close()
        try? errors.fileHandleForWriting.close()
        return Outcome(
            status: status, output: await outputReader.text(), errors: await errorReader.text(),
            timedOut: killed.load(ordering: .relaxed))
    }

    /// The first executable called `name` on `PATH`, if any.
    static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// The exit status of a process, awaited once.
private final class ExitSignal: Sendable {
    private let state = Mutex<(status: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))

    var isFinished: Bool { state.withLock { $0.status != nil } }

    func finish(_ status: Int32) {
        let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
            state.status = status
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: status)
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiter = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

/// Reads a pipe to its end on its own thread (so a chatty child never blocks on a full pipe),
/// keeping the first `keep` bytes.
private final class PipeDrain: Sendable {
    private let result = Mutex<(data: Data, done: Bool, waiter: CheckedContinuation<Data, Never>?)>((Data(), false, nil))

    init(_ handle: FileHandle, keep: Int) {
        let reading = SendableHandle(handle: handle)
        Thread.detachNewThread { [self] in
            var kept = Data()
            while true {
                let chunk = reading.handle.availableData
                if chunk.isEmpty { break }
                if kept.count < keep { kept.append(chunk.prefix(keep - kept.count)) }
            }
            let waiter = result.withLock { state -> CheckedContinuation<Data, Never>? in
                state.data = kept
                state.done = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: kept)
        }
    }

    func text() async -> String {
        let data = await withCheckedContinuation { continuation in
            let done = result.withLock { state -> Data? in
                if state.done { return state.data }
                state.waiter = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A pipe's reading end handed to the one thread that reads it: used there only, so sharing
/// it is safe although FileHandle is not Sendable.
private struct SendableHandle: @unchecked Sendable {
    let handle: FileHandle
}
