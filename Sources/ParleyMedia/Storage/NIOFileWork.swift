import NIOPosix

/// Blocking file work (links, renames, writes) on NIO's blocking-I/O threads, off the
/// threads that serve requests.
enum NIOFileWork {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
