// Reconciler: the kernel's own counters beside what the tool saw.
//  - /proc/net/snmp (Ip, Icmp, Udp, UdpLite) before/after -> "Udp.RcvbufErrors" deltas;
//  - /proc/net/udp{,6} drops column per socket inode, snapshotted at start and at every
//    interval (sockets that close keep their last value, sockets created later start at 0).
// Parsers take file contents so they are testable with fixtures.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

/// "Udp.InDatagrams" -> value for the Ip, Icmp, Udp and UdpLite lines.
std::map<std::string, std::int64_t> parse_snmp(std::string_view content);
/// Rows of /proc/net/udp (v6 = false) or /proc/net/udp6 (v6 = true).  Bad lines are skipped.
std::vector<ProcUdpEntry> parse_proc_udp(std::string_view content, bool v6);
/// "0100007F:2328" -> "127.0.0.1:9000" (host byte order words, as the kernel prints them).
std::string decode_proc_endpoint(std::string_view hex, bool v6);

/// What one look at /proc gave the reconciler: the snmp counters and the UDP socket rows that
/// are new or changed since the previous snapshot (all of them for the baseline).  Captures
/// store these, so a replay reconciles exactly as the live run did without /proc.
struct ProcSnapshot {
    bool base = false; // start(): baseline; else sample()
    std::optional<std::uint32_t> own_netns;
    std::optional<std::map<std::string, std::int64_t>> snmp; // absent: file unreadable
    std::vector<ProcUdpEntry> udp;
};

/// Access to /proc, replaceable in tests.
class ProcFs {
public:
    virtual ~ProcFs() = default;
    virtual std::optional<std::string> read(const std::string &path) const;
    virtual std::vector<int> pids() const;
    /// Inode of /proc/<pid>/ns/net ("self" when pid == 0).
    virtual std::optional<std::uint32_t> netns_of(int pid) const;
};

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

    std::map<std::string, std::int64_t> counter_deltas() const;
    std::optional<std::int64_t> drops_delta(std::uint32_t inode) const;
    /// When no inode is known: the unique socket with this local+remote, if there is one.
    std::optional<std::int64_t> drops_delta(const std::string &local,
                                            const std::string &remote) const;
    std::optional<std::uint32_t> own_netns() const { return own_netns_; }
    bool started() const { return started_; }

private:
    void read_udp(const std::string &dir, std::map<std::uint32_t, ProcUdpEntry> &into) const;

    std::shared_ptr<const ProcFs> fs_;
    bool started_ = false;
    std::optional<std::uint32_t> own_netns_;
    std::map<std::string, std::int64_t> snmp_base_, snmp_last_;
    std::map<std::uint32_t, ProcUdpEntry> base_, last_;
    std::vector<int> netns_pids_; // one pid per network namespace found at start
};

} // namespace nsk
