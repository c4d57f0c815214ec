import Synchronization

/// The metric objects of one labelled family, made once per label values and kept.
///
/// swift-prometheus's `makeCounter(descriptor:labels:)` returns the existing counter for labels it has seen,
/// but gets there by validating the name and help text and hashing the label array on every call, under the
/// registry's lock. Done on every request that cost about 2% of server CPU on scenario 01's lookup (perf, issue
/// 21); a dictionary lookup keyed by the label values is a fraction of that.
final class MetricHandles<Key: Hashable & Sendable, Handle: Sendable>: Sendable {
    private let handles = Mutex<[Key: Handle]>([:])
    private let make: @Sendable (Key) -> Handle

    /// - Parameter make: creates the handle for label values seen for the first time (registers it).
    init(_ make: @escaping @Sendable (Key) -> Handle) {
        self.make = make
    }

    subscript(_ key: Key) -> Handle {
        if let handle = self.handles.withLock({ $0[key] }) { return handle }
        let handle = self.make(key)  // outside our lock: the registry returns the same object if two race here
        self.handles.withLock { $0[key] = handle }
        return handle
    }
}
