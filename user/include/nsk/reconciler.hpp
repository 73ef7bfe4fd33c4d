// Reconciler: the kernel's own counters beside what the tool saw.
//  - /proc/net/snmp (Ip, Icmp, Tcp, Udp, UdpLite), /proc/net/netstat (TcpExt, IpExt) and
//    /proc/net/snmp6 before/after -> "Section.Name" deltas ("Udp.RcvbufErrors",
//    "TcpExt.TCPBacklogDrop", "Udp6.RcvbufErrors"); all per network namespace (ours);
//  - /proc/net/softnet_stat per-CPU processed/dropped/time_squeeze deltas (not per netns);
//  - /proc/net/dev per device of every network namespace it knows (ours, those of the one
//    process per netns found at start, and those `ip netns` names in /run/netns, which need
//    no process): packets, bytes, drops and errors per direction, and the root qdisc's drops
//    (rtnetlink, as `tc -s qdisc` shows them);
//  - the snmp/netstat/snmp6 counters of every other namespace it knows, the same way;
//  - /proc/net/udp{,6} drops column per socket inode, snapshotted at start and at every
//    interval (sockets that close keep their last value, sockets created later start at 0).
// Parsers take file contents so they are testable with fixtures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nsk {

struct ProcUdpEntry {
    std::uint32_t inode = 0;
    int family = 4;
    std::string local, remote; // "a.b.c.d:port" / "[v6]:port"
    std::uint32_t state = 0;
    std::uint64_t tx_queue = 0, rx_queue = 0;
    std::uint32_t uid = 0;
    std::uint64_t drops = 0;
};

using CounterMap = std::map<std::string, std::int64_t>;

/// "Udp.InDatagrams" -> value for the Ip, Icmp, Tcp, Udp and UdpLite lines of /proc/net/snmp.
CounterMap parse_snmp(std::string_view content);
/// "TcpExt.TCPBacklogDrop" -> value for the TcpExt and IpExt lines of /proc/net/netstat (same
/// header line / value line format as snmp).
CounterMap parse_netstat(std::string_view content);
/// /proc/net/snmp6 ("Udp6RcvbufErrors   3" per line) -> "Udp6.RcvbufErrors": the kernel's name
/// split after its first '6' (Ip6, Icmp6, Udp6, UdpLite6); a name without one -> "Snmp6.<name>".
CounterMap parse_snmp6(std::string_view content);
/// Counters the text report shows when they moved: drops, errors, discards, and the few
/// queue-pressure signals beside them (TcpExt.TCPOFOQueue, TcpExt.PruneCalled).  docs/report.md.
bool is_drop_counter(std::string_view key);

/// One row of /proc/net/softnet_stat: one online CPU, u32 hex columns read by position
/// (kernel/net/core/net-procfs.c softnet_seq_show):
///   0 processed, 1 dropped (backlog full: netdev_max_backlog, or flow limit),
///   2 time_squeeze (net_rx_action ran out of budget/time with work left), 3-8 always 0,
///   9 received_rps (>= 2.6.35), 10 flow_limit_count (>= 3.11),
///   11 backlog length (gauge) and 12 CPU id (>= 5.10: offline CPUs have no row, so the row
///   number is the CPU only when all are online), 13 input_qlen, 14 process_qlen (>= 6.4).
/// Missing columns read 0; extra columns are ignored.
struct SoftnetCpu {
    std::uint32_t cpu = 0; // column 12 when present, else the row number
    std::uint32_t processed = 0, dropped = 0, time_squeeze = 0, received_rps = 0, flow_limit = 0;
};
std::vector<SoftnetCpu> parse_softnet_stat(std::string_view content);

/// Growth of one CPU's softnet counters over the collection.  The kernel's counters are u32 and
/// wrap: every snapshot adds (now - previous) mod 2^32, so a wrap between two snapshots is
/// counted right.  A CPU first seen after the start (brought online) starts at its first value.
struct SoftnetDelta {
    std::uint32_t cpu = 0;
    std::uint64_t processed = 0, dropped = 0, time_squeeze = 0, received_rps = 0, flow_limit = 0;
};
/// The softnet counters, described once: name (JSON key in captures and reports, /metrics
/// label), column of /proc/net/softnet_stat, and the members of a row and of its delta.
/// `summed`: totalled over the CPUs in the report and exported to /metrics (the others are
/// listed per CPU only, after the summed ones).
struct SoftnetField {
    const char *key;
    std::size_t column;
    std::uint32_t SoftnetCpu::*row;
    std::uint64_t SoftnetDelta::*delta;
    bool summed;
};
inline constexpr SoftnetField kSoftnetFields[] = {
    {"processed", 0, &SoftnetCpu::processed, &SoftnetDelta::processed, true},
    {"dropped", 1, &SoftnetCpu::dropped, &SoftnetDelta::dropped, true},
    {"time_squeeze", 2, &SoftnetCpu::time_squeeze, &SoftnetDelta::time_squeeze, true},
    {"received_rps", 9, &SoftnetCpu::received_rps, &SoftnetDelta::received_rps, false},
    {"flow_limit", 10, &SoftnetCpu::flow_limit, &SoftnetDelta::flow_limit, true},
};

/// One row of /proc/net/dev: a network device of one namespace, its u64 counters as
/// dev_get_stats() sums them (the same numbers as /sys/class/net/NAME/statistics, except that
/// rx_dropped here includes rx_missed_errors: net/core/net-procfs.c dev_seq_printf_stats).
struct NetDevice {
    std::string name;
    std::uint64_t rx_packets = 0, rx_bytes = 0, rx_dropped = 0, rx_errors = 0;
    std::uint64_t tx_packets = 0, tx_bytes = 0, tx_dropped = 0, tx_errors = 0;
    /// Drops of the device's root qdisc (classful ones include their classes'), read over
    /// rtnetlink; 0 for a device without a queue (noqueue: loopback, veth) or when unreadable.
    std::uint64_t qdisc_drops = 0;
};
/// /proc/net/dev as read: two header lines, then "NAME: " and 16 decimal columns (8 receive,
/// 8 transmit).  The name is everything before the last ':' on the line (the counters have
/// none), trimmed of the padding the kernel puts in front of short names.  Lines that are not
/// a device (the headers, a damaged row with fewer than 12 counters) are skipped.
std::vector<NetDevice> parse_proc_net_dev(std::string_view content);

/// The devices of one network namespace (its inode, as /proc/PID/ns/net) at one snapshot.
struct NetnsDevices {
    std::uint32_t netns = 0;
    std::vector<NetDevice> devices;
};

/// Growth of one device's counters over the collection.  A device first seen after the start
/// (created, moved into the namespace) starts at its first value; one that disappears keeps
/// its delta; a counter that went down (the device was deleted and created again under the
/// same name between two snapshots) restarted from 0, so it grew by its new value.
struct DeviceDelta {
    std::uint32_t netns = 0;
    std::string name;
    std::uint64_t rx_packets = 0, rx_bytes = 0, rx_dropped = 0, rx_errors = 0;
    std::uint64_t tx_packets = 0, tx_bytes = 0, tx_dropped = 0, tx_errors = 0;
    std::uint64_t qdisc_drops = 0;
    bool moved() const;
};
/// The device counters, described once: name (JSON key in captures and reports, /metrics
/// label), column of /proc/net/dev after the name (kNotProcNetDev: read elsewhere), and the
/// members of a row and of its delta.
inline constexpr std::size_t kNotProcNetDev = static_cast<std::size_t>(-1);
struct DeviceField {
    const char *key;
    std::size_t column;
    std::uint64_t NetDevice::*row;
    std::uint64_t DeviceDelta::*delta;
};
inline constexpr DeviceField kDeviceFields[] = {
    {"rx_packets", 1, &NetDevice::rx_packets, &DeviceDelta::rx_packets},
    {"rx_bytes", 0, &NetDevice::rx_bytes, &DeviceDelta::rx_bytes},
    {"rx_dropped", 3, &NetDevice::rx_dropped, &DeviceDelta::rx_dropped},
    {"rx_errors", 2, &NetDevice::rx_errors, &DeviceDelta::rx_errors},
    {"tx_packets", 9, &NetDevice::tx_packets, &DeviceDelta::tx_packets},
    {"tx_bytes", 8, &NetDevice::tx_bytes, &DeviceDelta::tx_bytes},
    {"tx_dropped", 11, &NetDevice::tx_dropped, &DeviceDelta::tx_dropped},
    {"tx_errors", 10, &NetDevice::tx_errors, &DeviceDelta::tx_errors},
    {"qdisc_drops", kNotProcNetDev, &NetDevice::qdisc_drops, &DeviceDelta::qdisc_drops},
};

/// The counters of another network namespace ("Section.Name", as snmp/netstat/snmp6 give
/// them); `name` is its `ip netns` name when it has one.
struct NetnsCounters {
    std::uint32_t netns = 0;
    std::string name;
    CounterMap counters;
};

/// Rows of /proc/net/udp (v6 = false) or /proc/net/udp6 (v6 = true).  Bad lines are skipped.
std::vector<ProcUdpEntry> parse_proc_udp(std::string_view content, bool v6);
/// "0100007F:2328" -> "127.0.0.1:9000" (host byte order words, as the kernel prints them).
std::string decode_proc_endpoint(std::string_view hex, bool v6);

/// What one look at /proc gave the reconciler: the counters and the UDP socket rows that
/// are new or changed since the previous snapshot (all of them for the baseline).  Captures
/// store these, so a replay reconciles exactly as the live run did without /proc.
/// Absent (nullopt): the file was unreadable, or the capture predates it.
struct ProcSnapshot {
    bool base = false; // start(): baseline; else sample()
    std::optional<std::uint32_t> own_netns;
    std::optional<CounterMap> snmp;
    std::optional<CounterMap> netstat; // TcpExt.*, IpExt.*
    std::optional<CounterMap> snmp6;   // Ip6.*, Icmp6.*, Udp6.*, UdpLite6.*
    std::optional<std::vector<SoftnetCpu>> softnet;
    /// /proc/net/dev of every namespace read (ours first): all devices in the baseline, then
    /// only the devices whose counters changed (a namespace with none changed is left out).
    /// Absent: no namespace's file was readable, or the capture predates it.
    std::optional<std::vector<NetnsDevices>> devices;
    /// The counters of every other namespace read: all of them in the baseline, then only
    /// those that changed.  Absent: no other namespace, or the capture predates it.
    std::optional<std::vector<NetnsCounters>> netns_counters;
    std::vector<ProcUdpEntry> udp;
};

/// A network namespace named by `ip netns` (a bind mount in /run/netns): no process needed.
struct NamedNetns {
    std::string name;
    std::string path;
    std::uint32_t netns = 0; // its inode, as records and /proc/PID/ns/net give it
};

/// What a look from inside one network namespace gave: /proc/net files by name, and the
/// root qdiscs' drops by device (nullopt: rtnetlink unreadable).
struct NetnsView {
    std::map<std::string, std::string> files;
    std::optional<std::map<std::string, std::uint64_t>> qdisc_drops;
};

/// Access to /proc, replaceable in tests.
class ProcFs {
public:
    virtual ~ProcFs() = default;
    virtual std::optional<std::string> read(const std::string &path) const;
    virtual std::vector<int> pids() const;
    /// Inode of /proc/<pid>/ns/net ("self" when pid == 0).
    virtual std::optional<std::uint32_t> netns_of(int pid) const;
    /// The namespaces in /run/netns.
    virtual std::vector<NamedNetns> named_netns() const;
    /// Reads `files` of /proc/net and the root qdiscs' drops from inside the namespace that
    /// `nspath` refers to (/proc/PID/ns/net, /run/netns/NAME), from a thread that joins it
    /// (setns: CAP_SYS_ADMIN); nullopt when it cannot.
    virtual std::optional<NetnsView> look_inside(const std::string &nspath,
                                                 const std::vector<std::string> &files) const;
    /// The root qdiscs' drops by device in our own namespace (rtnetlink).
    virtual std::optional<std::map<std::string, std::uint64_t>> qdisc_drops() const;
};

/// The settings the verdicts size their changes against (kSysctls, by their sysctl name:
/// "net.core.rmem_max" -> value), read from /proc/sys; unreadable ones are left out.
inline constexpr const char *kSysctls[] = {"net.core.rmem_max", "net.core.rmem_default",
                                          "net.core.netdev_max_backlog"};
CounterMap read_sysctls(const ProcFs &fs);

class Reconciler {
public:
    explicit Reconciler(std::shared_ptr<const ProcFs> fs = std::make_shared<ProcFs>());

    /// Baseline: snmp counters and the UDP sockets of every network namespace.
    void start() { apply(read_start()); }
    /// Snapshot now; `pids` are readers of the sockets seen (their netns may differ from ours).
    void sample(const std::vector<std::uint32_t> &pids) { apply(read_sample(pids)); }

    /// The reading half of start()/sample(): what /proc says now, not applied yet.
    ProcSnapshot read_start();
    ProcSnapshot read_sample(const std::vector<std::uint32_t> &pids) const;
    /// The applying half (also used to replay a capture).
    void apply(const ProcSnapshot &snap);

    /// Deltas of every counter of snmp, netstat and snmp6 that has a baseline.
    CounterMap counter_deltas() const;
    /// Per-CPU softnet deltas, by CPU; nullopt when /proc/net/softnet_stat was never read.
    std::optional<std::vector<SoftnetDelta>> softnet_deltas() const;
    /// Per-device deltas of every device seen, by namespace then name (moved or not);
    /// nullopt when no /proc/net/dev was ever read.
    std::optional<std::vector<DeviceDelta>> device_deltas() const;
    /// Deltas of the counters of every other namespace read at the start (only those that
    /// moved), by namespace inode.
    std::vector<NetnsCounters> netns_counter_deltas() const;
    /// The other namespaces whose counters have a baseline, and their `ip netns` names.
    std::map<std::uint32_t, std::string> netns_read() const;
    std::optional<std::int64_t> drops_delta(std::uint32_t inode) const;
    /// When no inode is known: the unique socket with this local+remote, if there is one.
    std::optional<std::int64_t> drops_delta(const std::string &local,
                                            const std::string &remote) const;
    std::optional<std::uint32_t> own_netns() const { return own_netns_; }
    bool started() const { return started_; }
    /// Most rows of sockets created during the collection kept (the baseline's rows are all
    /// kept: their number is fixed at the start); beyond it the least recently changed go.
    void set_max_rows(std::size_t n) { max_rows_ = n; }
    /// Socket rows removed by that bound (their per-socket delta is no longer known).
    std::uint64_t evicted_rows() const { return evicted_rows_; }
    std::size_t rows() const { return last_.size(); }

private:
    void read_udp(const std::string &dir, std::map<std::uint32_t, ProcUdpEntry> &into) const;
    void read_counters(ProcSnapshot &snap) const;
    void apply_softnet(const std::vector<SoftnetCpu> &rows);
    struct Looks {
        std::optional<std::map<std::string, std::uint64_t>> own_qdiscs;
        std::map<std::uint32_t, NetnsView> views; // other namespaces, by inode
    };
    void look_and_read(ProcSnapshot &snap, bool changed_only) const;
    void read_other_counters(ProcSnapshot &snap, const Looks &looks, bool changed_only) const;
    std::optional<std::vector<NetnsDevices>> read_devices(std::uint32_t own, const Looks &looks,
                                                          bool changed_only) const;
    void apply_netns_counters(const std::vector<NetnsCounters> &rows, bool base);
    void apply_devices(const std::vector<NetnsDevices> &snap);
    void bound_rows();

    std::shared_ptr<const ProcFs> fs_;
    bool started_ = false;
    std::optional<std::uint32_t> own_netns_;
    CounterMap counters_base_, counters_last_; // snmp + netstat + snmp6
    std::map<std::uint32_t, SoftnetCpu> softnet_prev_;
    std::map<std::uint32_t, SoftnetDelta> softnet_acc_;
    bool softnet_seen_ = false;
    using DeviceKey = std::pair<std::uint32_t, std::string>; // netns inode, device name
    std::map<DeviceKey, NetDevice> device_prev_;
    std::map<DeviceKey, DeviceDelta> device_acc_;
    bool devices_seen_ = false;
    std::map<std::uint32_t, ProcUdpEntry> base_, last_;
    std::map<std::uint32_t, std::uint64_t> changed_at_; // rows not in base_: apply() serial
    std::uint64_t applies_ = 0;
    std::size_t max_rows_ = 65'536;
    std::uint64_t evicted_rows_ = 0;
    // local + remote -> the inode of the one row with them (nullopt: several), rebuilt after
    // an apply() changed the rows: one lookup per socket instead of a scan of every row.
    mutable std::map<std::string, std::optional<std::uint32_t>> by_tuple_;
    mutable bool by_tuple_stale_ = true;
    /// One pid per network namespace found at start, and that namespace's inode (a sample
    /// reads a pid's /proc/PID/net/dev only while the pid is still in that namespace).
    std::vector<std::pair<int, std::uint32_t>> netns_pids_;
    /// The namespaces of /run/netns not reached through a process, found at start.
    std::vector<NamedNetns> netns_named_;
    /// Other namespaces' counters: baseline and latest, by inode; their `ip netns` names.
    std::map<std::uint32_t, CounterMap> netns_base_, netns_last_;
    std::map<std::uint32_t, std::string> netns_names_;
};

} // namespace nsk
