import ArgumentParser
import Foundation
import ParleyBench

/// `parley bench`: the load generator. Each scenario prints a readable table, then its
/// result as one line of JSON.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Load-test a Parley node.",
        subcommands: [Connect.self, Private.self, Fanout.self, Sync.self])

    struct Target: ParsableArguments {
        @Option(help: "A node's HTTP address; repeat it for a cluster (sessions are spread over the nodes, a private pair's two users on different nodes).")
        var server: [String] = []
        @Option(name: .customLong("server-pid"), help: "The node's process id, to report its memory (local nodes only).") var serverPID: Int?
        @Option(name: .customLong("source-address"), help: "A local address sessions leave from (repeat it: 127.0.0.2, 127.0.0.3, …); sessions take them in turn.")
        var sourceAddress: [String] = []

        func target() throws -> BenchTarget {
            let urls = try (server.isEmpty ? ["http://127.0.0.1:8080"] : server).map { text in
                guard let url = URL(string: text), url.host != nil else { throw ValidationError("'\(text)' is not a URL") }
                return url
            }
            var target = BenchTarget(servers: urls, serverPID: serverPID)
            target.sourceAddresses = sourceAddress
            return target
        }
    }

    static func report<R: Encodable>(_ lines: [String], _ result: R) {
        for line in lines { print(line) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: (try? encoder.encode(result)) ?? Data(), as: UTF8.self))
    }

    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Connection storm, then idle hold: connect rate and server memory per connection.")
        @OptionGroup var target: Target
        @Option(help: "Sessions to open.") var connections = 1000
        @Option(help: "Users they belong to.") var users = 50
        @Option(help: "Handshakes in flight at once.") var concurrency = 256
        @Option(help: "Seconds to hold the idle sessions before measuring.") var hold: Double = 5

        func run() async throws {
            let result = try await ConnectStorm(connections: connections, users: users, concurrency: concurrency, holdSeconds: hold)
                .run(on: try target.target())
            BenchCommand.report([
                "connect storm: \(result.connected)/\(result.connections) sessions in \(String(format: "%.2f", result.seconds)) s = \(Int(result.connectRate)) connections/s",
                "server RSS: before \(result.serverRSSBefore.map { "\($0 / 1024) KiB" } ?? "?"), holding \(result.serverRSSHeld.map { "\($0 / 1024) KiB" } ?? "?"), per connection \(result.bytesPerConnection.map { "\($0) B" } ?? "?")",
            ], result)
        }
    }

    struct Private: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "1:1 chat at an offered rate: throughput, send→ack and end-to-end latency, losses.")
        @OptionGroup var target: Target
        @Option(help: "Sender/receiver pairs.") var pairs = 100
        @Option(help: "Offered messages per second, in total.") var rate: Double = 1000
        @Option(help: "Seconds to offer load.") var duration: Double = 10
        @Option(help: "Sweep: keep doubling the rate while p99 end-to-end stays under this many ms.") var sweepP99: Double?

        func run() async throws {
            let target = try self.target.target()
            var offered = rate
            while true {
                let result = try await PrivateChat(pairs: pairs, rate: offered, seconds: duration).run(on: target)
                BenchCommand.report([
                    "private chat: \(result.pairs) pairs, offered \(Int(result.offeredRate))/s for \(result.seconds) s",
                    "  achieved \(Int(result.achievedRate)) msg/s, sent \(result.sent), acked \(result.acknowledged), received \(result.received), lost \(result.lost)",
                    "  send→ack   " + Self.row(result.sendToAck),
                    "  end-to-end " + Self.row(result.endToEnd),
                    "  generator lateness " + Self.row(result.sendLateness),
                ], result)
                guard let bound = sweepP99, result.endToEnd.p99 <= bound, result.lost == 0,
                    result.achievedRate >= 0.95 * result.offeredRate
                else { break }
                offered *= 2
            }
        }

        static func row(_ s: LatencySummary) -> String {
            String(format: "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms", s.p50, s.p90, s.p99, s.p999, s.max)
        }
    }

    struct Fanout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Group fanout: deliveries per second and delivery latency in one large group.")
        @OptionGroup var target: Target
        @Option(help: "Members of the group (the first one sends).") var members = 2000
        @Option(help: "Members online, one session each.") var connected = 200
        @Option(help: "Messages per second the owner sends.") var rate: Double = 50
        @Option(help: "Seconds to send.") var duration: Double = 10

        func run() async throws {
            guard members >= 2, (1..<members).contains(connected) else {
                throw ValidationError("need at least 2 members and 1…members-1 connected")
            }
            let result = try await GroupFanout(members: members, connected: connected, rate: rate, seconds: duration)
                .run(on: try target.target())
            BenchCommand.report([
                "group fanout: \(result.members) members, \(result.connected) online, \(Int(result.offeredRate)) msg/s for \(result.seconds) s",
                "  \(Int(result.deliveriesPerSecond)) deliveries/s, sent \(result.sent), acked \(result.acknowledged), delivered \(result.deliveries)/\(result.expectedDeliveries), lost \(result.lost)",
                "  delivery   " + Private.row(result.delivery),
                "  send→ack   " + Private.row(result.sendToAck),
            ], result)
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Offline sync: time for a user with many missed messages to catch up.")
        @OptionGroup var target: Target
        @Option(help: "Messages missed while offline.") var missed = 10_000

        func run() async throws {
            let result = try await OfflineSync(missed: missed).run(on: try target.target())
            BenchCommand.report([
                "offline sync: \(result.fetched)/\(result.missed) missed messages in \(String(format: "%.3f", result.seconds)) s = \(Int(result.messagesPerSecond)) msg/s",
            ], result)
        }
    }
}
