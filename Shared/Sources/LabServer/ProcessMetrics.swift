import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The conventional `process_*` metrics (CPU seconds, resident memory, open file descriptors, ...), read
/// from `/proc/self` each time `/metrics` is scraped.
///
/// Written by hand because no package in our mirror provides them for swift-prometheus 2. The names match
/// the Prometheus client libraries of other languages, so dashboards and alerts written for those work here.
/// On systems without `/proc` (macOS) the series are simply absent.
final class ProcessMetrics: Sendable {
    static let shared = ProcessMetrics(registry: LabMetrics.registry)

    private let cpuSeconds: Counter
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let startTime: Gauge
    /// CPU seconds already added to the counter: counters only go up, so each scrape adds the difference.
    private let cpuSecondsReported = Mutex<Double>(0)

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: name, unitName: unit, helpText: help))
        }
        self.cpuSeconds = registry.makeCounter(
            descriptor: .init(
                metricName: "process_cpu_seconds",
                unitName: "total",
                helpText: "Total user and system CPU time spent by this process, in seconds."
            )
        )
        self.residentMemory = gauge("process_resident_memory", "bytes", "Memory this process occupies in RAM, in bytes.")
        self.virtualMemory = gauge("process_virtual_memory", "bytes", "Virtual memory size of this process, in bytes.")
        self.openFDs = gauge("process_open", "fds", "Open file descriptors (sockets included).")
        self.maxFDs = gauge("process_max", "fds", "Maximum number of open file descriptors allowed.")
        self.startTime = gauge("process_start_time", "seconds", "Start time of the process since the Unix epoch, in seconds.")
    }

    /// Re-reads `/proc/self` and updates every series. Called by `/metrics` before rendering.
    func refresh() {
        guard let stat = ProcStat.readSelf() else { return }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let cpu = Double(stat.userTicks + stat.systemTicks) / ticks
        self.cpuSecondsReported.withLock { reported in
            if cpu > reported {
                self.cpuSeconds.increment(by: cpu - reported)
                reported = cpu
            }
        }
        self.residentMemory.set(Double(stat.residentPages) * pageSize)
        self.virtualMemory.set(Double(stat.virtualBytes))
        if let bootTime = ProcStat.bootTime() {
            self.startTime.set(bootTime + Double(stat.startTicks) / ticks)
        }
        if let count = ProcStat.openFileDescriptorCount() {
            self.openFDs.set(Double(count))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            self.maxFDs.set(Double(limit.rlim_cur))
        }
    }
}

/// The fields of `/proc/self/stat` the process metrics need (see `man 5 proc`).
struct ProcStat: Equatable {
    var userTicks: UInt64
    var systemTicks: UInt64
    var startTicks: UInt64
    var virtualBytes: UInt64
    var residentPages: UInt64

    /// Parses the one line of `/proc/<pid>/stat`. The second field (the command name) is in parentheses and
    /// may itself contain spaces and parentheses, so fields are counted from the *last* `)`.
    init?(parsing line: String) {
        guard let close = line.lastIndex(of: ")") else { return nil }
        // Fields after the name start at field 3 (state); utime is field 14, so index 11 here.
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 21,
            let utime = UInt64(fields[11]), let stime = UInt64(fields[12]),
            let start = UInt64(fields[19]), let vsize = UInt64(fields[20]), let rss = UInt64(fields[21])
        else { return nil }
        self.userTicks = utime
        self.systemTicks = stime
        self.startTicks = start
        self.virtualBytes = vsize
        self.residentPages = rss
    }

    static func readSelf() -> ProcStat? {
        readSmallFile("/proc/self/stat").flatMap(ProcStat.init(parsing:))
    }

    /// Seconds since the epoch when the machine booted (`btime` in `/proc/stat`).
    static func bootTime() -> Double? {
        guard let text = readSmallFile("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6))
        }
        return nil
    }

    static func openFileDescriptorCount() -> Int? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            if entry.pointee.d_name.0 != CChar(UInt8(ascii: ".")) { count += 1 }
        }
        return count - 1  // the descriptor opendir itself holds
    }

    /// `/proc` files report a size of 0, so read until end of file instead of trusting `stat`.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
