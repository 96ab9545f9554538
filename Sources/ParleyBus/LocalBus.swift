import Synchronization

/// The single-node bus: events go straight to this node's gateway.
public final class LocalBus: Bus {
    private let sink = Mutex<(any BusSink)?>(nil)

    public init() {}

    public func publish(_ event: BusEvent) async {
        sink.withLock { $0 }?.receive(event)
    }

    public func attach(_ sink: any BusSink) {
        self.sink.withLock { $0 = sink }
    }
}
