// The verdict rules (verdicts.hpp): one function per cause, each reading the summary only.
#include "nsk/verdicts.hpp"

#include "nsk/format.hpp"
#include "nsk/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace nsk {
namespace {

using ojson = nlohmann::ordered_json;

// Bytes the module's ring spends per record at most (a 256-byte drop record, the slot's write
// number and the ring's own header), to size ring_kb from a count of lost records.
constexpr std::uint64_t kRingBytesPerRecord = 272;
constexpr std::uint64_t kRingKbMax = 65536; // NSK_RING_KB_MAX (kmod/nsk_main.c)

std::string num(double v, int decimals = 0)
{
    char b[64];
    std::snprintf(b, sizeof(b), "%.*f", decimals, v);
    return b;
}

std::string bytes_text(std::uint64_t b)
{
    if (b >= (1ULL << 20))
        return num(static_cast<double>(b) / (1 << 20), 1) + " MiB";
    if (b >= 1024)
        return num(static_cast<double>(b) / 1024, 1) + " KiB";
    return std::to_string(b) + " B";
}

std::optional<std::int64_t> sysctl(const Summary &s, const char *name)
{
    auto it = s.sysctls.find(name);
    return it == s.sysctls.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
}

std::int64_t counter(const Summary &s, const char *name)
{
    auto it = s.counters.find(name);
    return it == s.counters.end() ? 0 : it->second;
}

std::string socket_subject(const SocketRow &r)
{
    std::string t = r.proto + " " + r.local;
    if (r.remote.substr(0, 8) != "0.0.0.0:" && r.remote.substr(0, 4) != "[::]")
        t += " <- " + r.remote;
    if (r.pid)
        t += " (pid " + std::to_string(*r.pid) + (r.comm.empty() ? "" : " " + r.comm) + ")";
    return t;
}

ojson socket_json(const SocketRow &r)
{
    ojson o;
    o["proto"] = r.proto;
    o["local"] = r.local;
    o["remote"] = r.remote;
    o["netns"] = r.netns;
    o["pid"] = r.pid ? ojson(*r.pid) : ojson(nullptr);
    o["comm"] = r.comm;
    return o;
}

/// What every verdict of this summary must say about the data it rests on.
std::vector<std::string> common_caveats(const Summary &s)
{
    std::vector<std::string> c;
    if (s.sampling.sampled())
        c.push_back("sampled run (1/" + std::to_string(s.sampling.divisors().back()) +
                    "): the counts are of the sampled flows only");
    if (s.loss.ring || s.loss.netlink || s.loss.user || s.loss.probe_missed)
        c.push_back("the tool lost records (see the loss line): counts are lower bounds");
    return c;
}

Verdict base(const Summary &s, const std::string &kind)
{
    Verdict v;
    v.kind = kind;
    v.caveats = common_caveats(s);
    return v;
}

/// A verdict that rests on the kernel's counters: they count everything in the namespace (the
/// backlog and devices: the host), not only what the filters let the tool see.
Verdict counter_base(const Summary &s, const std::string &kind)
{
    Verdict v = base(s, kind);
    if (s.filters.proto || s.filters.port || s.filters.addr || s.filters.pid || s.filters.netns)
        v.caveats.push_back("from the kernel's own counters: they include traffic the filters "
                            "left out");
    return v;
}

ojson episode_json(const QueueEpisode &e)
{
    ojson o;
    o["start_ns"] = e.start_ns;
    o["duration_ns"] = e.duration_ns();
    o["offered"] = e.offers;
    o["refused"] = e.refused;
    o["refused_bytes"] = e.refused_bytes;
    o["reads"] = e.reads;
    o["arrival_rate"] = static_cast<std::uint64_t>(std::llround(e.arrival_rate()));
    o["read_rate"] = static_cast<std::uint64_t>(std::llround(e.read_rate()));
    o["peak_bytes"] = e.peak_bytes;
    o["reader_caught_up"] = e.closed;
    return o;
}

// --- receive buffer -----------------------------------------------------------------------------

void rcvbuf_verdict(const Summary &s, const SocketRow &r, std::uint64_t n,
                    std::vector<Verdict> &out)
{
    const QueueMemory &m = r.mem;
    if (!m.known || !m.refused) {
        Verdict v = base(s, "rcvbuf_full");
        v.subject = socket_subject(r);
        v.socket = socket_json(r);
        v.drops = n;
        v.cause = std::to_string(n) + " datagrams were dropped because the socket's receive "
                  "buffer was full";
        v.evidence["drops"] = n;
        if (r.kernel_drops_delta)
            v.evidence["kernel_drops_delta"] = *r.kernel_drops_delta;
        v.change = "rerun with a module that records the socket's memory to size the buffer; "
                   "meanwhile raise SO_RCVBUF (and net.core.rmem_max) or read faster";
        v.confidence = "none";
        v.caveats.push_back("the buffer size and the queue's memory were not recorded "
                            "(an older module or capture): no size can be given");
        out.push_back(std::move(v));
        return;
    }
    const QueueEpisode &e = m.worst;
    const double arrive = e.arrival_rate(), read = e.read_rate();
    Verdict v = base(s, "");
    v.subject = socket_subject(r);
    v.socket = socket_json(r);
    v.drops = n;
    v.evidence["drops"] = n;
    if (r.kernel_drops_delta)
        v.evidence["kernel_drops_delta"] = *r.kernel_drops_delta;
    v.evidence["sk_rcvbuf"] = m.rcvbuf;
    if (m.rcvbuf_min != m.rcvbuf_max) {
        v.evidence["sk_rcvbuf_min"] = m.rcvbuf_min;
        v.evidence["sk_rcvbuf_max"] = m.rcvbuf_max;
    }
    v.evidence["rmem_peak"] = m.rmem_peak;
    v.evidence["truesize_max"] = m.truesize_max;
    v.evidence["refused_bytes"] = m.refused_bytes;
    v.evidence["episodes"] = m.episodes;
    v.evidence["worst_episode"] = episode_json(e);
    const std::string rates = num(arrive) + "/s arrived and " + num(read) +
                              "/s were read during " + human_ns(e.duration_ns()) + " of drops";
    if (!e.closed && e.reads < 2) {
        v.kind = "reader_stalled";
        v.cause = "the reader stopped reading while datagrams kept arriving: " +
                  std::to_string(e.refused) + " were refused in " + human_ns(e.duration_ns()) +
                  " with " + std::to_string(e.reads) + " read";
        v.change = "find out what keeps the reader from reading (stopped, blocked, busy "
                   "elsewhere); no buffer size can be derived from a reader that does not read";
        v.confidence = "measured";
    } else if (!e.closed && read < 0.95 * arrive) {
        v.kind = "reader_too_slow";
        v.cause = "the reader is too slow: " + rates +
                  ", and the queue never emptied: a bigger buffer only delays the drops";
        const double gap = arrive - read;
        const double per_mib =
            m.truesize_max ? (1048576.0 / m.truesize_max) / std::max(gap, 1.0) : 0.0;
        if (per_mib > 0)
            v.evidence["seconds_per_extra_mib"] = std::round(per_mib * 1000) / 1000;
        v.change = "read faster: at least " + num(std::ceil(arrive)) +
                   " datagrams/s (more reader threads on SO_REUSEPORT sockets, recvmmsg "
                   "batches, less work per datagram), or send less" +
                   (per_mib > 0 ? "; each extra MiB of buffer holds only " + num(per_mib, 3) +
                                      " s more of this load"
                                : "");
        v.suggest["read_rate_needed"] = static_cast<std::uint64_t>(std::ceil(arrive));
        v.confidence = "measured";
    } else {
        v.kind = "rcvbuf_burst";
        const RcvbufSize size = rcvbuf_for(e.peak_bytes);
        v.cause = "bursts overflow the receive buffer: sk_rcvbuf is " + bytes_text(m.rcvbuf) +
                  " and the largest burst needed " + bytes_text(e.peak_bytes) + " (" + rates +
                  (e.closed ? ", then the reader caught up)" : ")");
        std::string change = "set SO_RCVBUF to " + std::to_string(size.so_rcvbuf) +
                             " (the kernel doubles it: sk_rcvbuf " +
                             std::to_string(size.sk_rcvbuf) + ", the largest burst + 25 %)";
        const auto rmem_max = sysctl(s, "net.core.rmem_max");
        if (!rmem_max || *rmem_max < static_cast<std::int64_t>(size.so_rcvbuf))
            change += " and net.core.rmem_max to at least " + std::to_string(size.so_rcvbuf) +
                      (rmem_max ? " (now " + std::to_string(*rmem_max) + ")" : "");
        const auto rmem_default = sysctl(s, "net.core.rmem_default");
        if (rmem_default && *rmem_default * 2 == m.rcvbuf)
            change += "; the socket uses the default (net.core.rmem_default " +
                      std::to_string(*rmem_default) + "): set it in the application, or "
                      "raise rmem_default for every socket";
        v.change = change;
        v.suggest["sk_rcvbuf"] = size.sk_rcvbuf;
        v.suggest["so_rcvbuf"] = size.so_rcvbuf;
        v.suggest["rmem_max"] = std::max<std::int64_t>(size.so_rcvbuf, rmem_max.value_or(0));
        v.confidence = "upper_bound";
        v.caveats.push_back("the size assumes the reader reads at the times it did: every "
                            "refused datagram of the burst waits behind the others (an upper "
                            "bound if it would have read faster with more queued)");
        if (!e.closed)
            v.caveats.push_back("the last burst was still draining at the end of the run");
    }
    out.push_back(std::move(v));
}

void socket_verdicts(const Summary &s, std::vector<Verdict> &out)
{
    for (const SocketRow &r : s.sockets) {
        if (!r.drops_total)
            continue;
        std::uint64_t rcvbuf = 0, protomem = 0;
        std::map<std::string, std::uint64_t> other;
        for (const auto &[reason, n] : r.drops) {
            if (reason == "SOCKET_RCVBUFF" || reason == "SOCK_RCVQUEUE_FULL")
                rcvbuf += n;
            else if (reason == "PROTO_MEM")
                protomem += n;
            else
                other[reason] += n;
        }
        if (rcvbuf)
            rcvbuf_verdict(s, r, rcvbuf, out);
        if (protomem) {
            Verdict v = base(s, "proto_mem");
            v.subject = socket_subject(r);
            v.socket = socket_json(r);
            v.drops = protomem;
            v.cause = "the protocol's memory for all its sockets (net.ipv4.udp_mem) was "
                      "exhausted: " + std::to_string(protomem) + " datagrams refused";
            v.evidence["drops"] = protomem;
            v.evidence["Udp.MemErrors"] = counter(s, "Udp.MemErrors");
            v.change = "raise net.ipv4.udp_mem (pages: min pressure max), or drain the "
                       "sockets that hold the memory (the sockets table: rx queues)";
            v.confidence = "measured";
            out.push_back(std::move(v));
        }
        for (const auto &[reason, n] : other) {
            Verdict v = base(s, "socket_refused");
            v.subject = socket_subject(r);
            v.socket = socket_json(r);
            v.drops = n;
            v.cause = "the socket refused " + std::to_string(n) + " packets: " + reason;
            v.evidence["reason"] = reason;
            v.evidence["drops"] = n;
            v.change = "see the drop reason in docs/report.md (a socket filter, a checksum, a "
                       "policy): it is not the buffer";
            v.confidence = "measured";
            out.push_back(std::move(v));
        }
    }
}

// --- drops before any socket --------------------------------------------------------------------

/// The netfilter hook a drop was on, from the last stage the packet reached.
std::string hook_of(const std::string &stage)
{
    static const std::map<std::string, std::string> k{
        {"ip_local_deliver", "input"},     {"ip6_input", "input"},
        {"ip_forward", "forward"},         {"ip6_forward", "forward"},
        {"ip_rcv", "prerouting"},          {"ipv6_rcv", "prerouting"},
        {"netif_receive_skb", "prerouting"}, {"napi_gro_receive", "prerouting"},
        {"ip_output", "postrouting"},      {"ip6_output", "postrouting"},
        {"ip_queue_xmit", "output"},       {"ip6_xmit", "output"},
        {"udp_sendmsg", "output"},         {"udpv6_sendmsg", "output"},
        {"tcp_sendmsg_locked", "output"},  {"sock_sendmsg", "output"},
    };
    auto it = k.find(stage);
    return it == k.end() ? "" : it->second;
}

ojson targets_json(const std::map<std::string, std::uint64_t> &t)
{
    std::vector<std::pair<std::string, std::uint64_t>> v(t.begin(), t.end());
    std::stable_sort(v.begin(), v.end(), [](auto &a, auto &b) { return a.second > b.second; });
    ojson o = ojson::object();
    for (const auto &[k, n] : v)
        o[k] = n;
    return o;
}

std::string targets_text(const std::map<std::string, std::uint64_t> &t)
{
    std::string s;
    const ojson sorted = targets_json(t);
    for (auto it = sorted.begin(); it != sorted.end(); ++it) {
        if (!s.empty())
            s += ", ";
        s += it.key();
    }
    return s;
}

// Rows of one cause at several call sites of one function (6.12's __dev_queue_xmit frees a
// qdisc's refusals at two inlined sites) are one verdict: merged by reason, protocol, stage
// and function; `location` is the busiest site, `locations` all of them when there are more.
struct SiteRows {
    DropRow row;
    std::map<std::string, std::uint64_t> locations;
};

std::vector<SiteRows> merge_sites(const std::vector<DropRow> &drops)
{
    std::vector<SiteRows> out;
    std::map<std::string, std::size_t> at;
    for (const DropRow &d : drops) {
        const std::string fn = d.location.substr(0, d.location.find('+'));
        const std::string key = d.reason + '\0' + d.proto + '\0' + d.stage + '\0' + fn;
        auto [it, fresh] = at.emplace(key, out.size());
        if (fresh) {
            out.push_back({d, {{d.location, d.count}}});
            continue;
        }
        SiteRows &m = out[it->second];
        m.row.count += d.count;
        for (const auto &[k, c] : d.targets)
            m.row.targets[k] += c;
        const std::uint64_t here = (m.locations[d.location] += d.count);
        if (here > m.locations[m.row.location])
            m.row.location = d.location;
    }
    return out;
}

void site_evidence(Verdict &v, const SiteRows &m)
{
    v.evidence["location"] = m.row.location;
    if (m.locations.size() > 1)
        v.evidence["locations"] = targets_json(m.locations);
}

void drop_table_verdicts(const Summary &s, std::vector<Verdict> &out)
{
    // NO_SOCKET: one verdict per protocol, the destinations merged.
    std::map<std::string, std::pair<std::uint64_t, std::map<std::string, std::uint64_t>>> noport;
    for (const SiteRows &m : merge_sites(s.drops)) {
        const DropRow &d = m.row;
        if (d.reason == "NO_SOCKET") {
            auto &[n, t] = noport[d.proto];
            n += d.count;
            for (const auto &[k, c] : d.targets)
                t[k] += c;
        } else if (d.reason == "NETFILTER_DROP") {
            const std::string hook = hook_of(d.stage);
            Verdict v = base(s, "netfilter");
            v.drops = d.count;
            v.subject = d.proto + " packets to " + targets_text(d.targets);
            v.cause = "a netfilter rule dropped " + std::to_string(d.count) + " " + d.proto +
                      " packets" + (hook.empty() ? "" : " on the " + hook + " hook") +
                      " (after " + (d.stage.empty() ? "no traced stage" : d.stage) + ")";
            v.evidence["drops"] = d.count;
            site_evidence(v, m);
            v.evidence["stage"] = d.stage;
            if (!hook.empty())
                v.evidence["hook"] = hook;
            v.evidence["destinations"] = targets_json(d.targets);
            v.change = "find the rule: `nft list ruleset` (or iptables-save) on the " +
                       (hook.empty() ? std::string("hook") : hook + " hook") +
                       ", its counter grows with these drops; remove or narrow it if this "
                       "traffic is wanted";
            v.suggest["hook"] = hook;
            v.confidence = "measured";
            out.push_back(std::move(v));
        } else if (d.reason == "QDISC_DROP") {
            Verdict v = base(s, "qdisc");
            v.drops = d.count;
            v.subject = d.proto + " packets to " + targets_text(d.targets);
            v.cause = "the device's queueing discipline dropped " + std::to_string(d.count) +
                      " packets (queue limit or shaping)";
            v.evidence["drops"] = d.count;
            site_evidence(v, m);
            v.evidence["destinations"] = targets_json(d.targets);
            v.change = "`tc -s qdisc show` names the qdisc and its drops: raise its limit or "
                       "rate, or send less";
            v.confidence = "measured";
            out.push_back(std::move(v));
        }
    }
    for (const auto &[proto, nt] : noport) {
        const auto &[n, t] = nt;
        Verdict v = base(s, "no_socket");
        v.drops = n;
        v.subject = proto + " " + targets_text(t);
        v.cause = std::to_string(n) + " " + proto +
                  " packets arrived for a port no socket is bound to: " + targets_text(t);
        v.evidence["drops"] = n;
        v.evidence["destinations"] = targets_json(t);
        if (proto == "udp") {
            v.evidence["Udp.NoPorts"] = counter(s, "Udp.NoPorts");
            v.evidence["Udp6.NoPorts"] = counter(s, "Udp6.NoPorts");
        }
        v.change = "start the service on that port (in that network namespace), or point the "
                   "senders at the port it listens on";
        v.confidence = "measured";
        out.push_back(std::move(v));
    }
}

void backlog_verdict(const Summary &s, std::vector<Verdict> &out)
{
    if (!s.softnet)
        return;
    std::uint64_t dropped = 0, worst = 0;
    for (const auto &c : *s.softnet) {
        dropped += c.dropped;
        worst = std::max(worst, c.dropped);
    }
    if (!dropped)
        return;
    Verdict v = counter_base(s, "backlog");
    v.drops = dropped;
    v.subject = "per-CPU input backlog";
    v.cause = std::to_string(dropped) + " packets were dropped because a CPU's input backlog "
              "was full (softnet_stat dropped)";
    v.evidence["drops"] = dropped;
    v.evidence["most_on_one_cpu"] = worst;
    const auto cur = sysctl(s, "net.core.netdev_max_backlog");
    if (cur) {
        v.evidence["netdev_max_backlog"] = *cur;
        std::uint64_t want = 1;
        while (want < static_cast<std::uint64_t>(*cur) + worst)
            want <<= 1;
        v.suggest["netdev_max_backlog"] = want;
        v.change = "raise net.core.netdev_max_backlog to at least " + std::to_string(want) +
                   " (now " + std::to_string(*cur) + "), or spread the load (RPS/RSS)";
        v.confidence = "upper_bound";
    } else {
        v.change = "raise net.core.netdev_max_backlog, or spread the load (RPS/RSS)";
        v.confidence = "none";
    }
    out.push_back(std::move(v));
}

void device_verdicts(const Summary &s, std::vector<Verdict> &out)
{
    if (!s.devices)
        return;
    for (const auto &d : *s.devices) {
        if (d.name == "lo" || !(d.rx_dropped || d.tx_dropped))
            continue;
        Verdict v = counter_base(s, "device");
        v.drops = d.rx_dropped + d.tx_dropped;
        v.subject = d.name + " (netns " + std::to_string(d.netns) + ")";
        v.cause = d.name + " counted " + std::to_string(d.rx_dropped) + " received and " +
                  std::to_string(d.tx_dropped) + " sent packets as dropped";
        v.evidence["rx_dropped"] = d.rx_dropped;
        v.evidence["tx_dropped"] = d.tx_dropped;
        v.evidence["rx_packets"] = d.rx_packets;
        v.change = "`ip -s link show " + d.name + "` and `ethtool -S " + d.name +
                   "`: a full receive ring (ethtool -G), a down peer, or the qdisc above";
        v.confidence = "measured";
        out.push_back(std::move(v));
    }
}

void tcp_verdict(const Summary &s, std::vector<Verdict> &out)
{
    const std::int64_t pruned = counter(s, "TcpExt.RcvPruned"),
                       qdrop = counter(s, "TcpExt.TCPRcvQDrop"),
                       zwin = counter(s, "TcpExt.TCPZeroWindowDrop"),
                       backlog = counter(s, "TcpExt.TCPBacklogDrop"),
                       prune_calls = counter(s, "TcpExt.PruneCalled");
    const std::int64_t n = pruned + qdrop + zwin + backlog;
    if (n <= 0 && prune_calls <= 0)
        return;
    Verdict v = counter_base(s, "tcp_receive_queue");
    v.drops = static_cast<std::uint64_t>(std::max<std::int64_t>(n, 0));
    v.subject = "TCP receive queues";
    v.cause = n > 0 ? "TCP receive queues ran out of memory and dropped data: the reader is "
                      "slower than the sender and the window did not hold it back in time"
                    : "TCP collapsed receive queues to make room (PruneCalled " +
                          std::to_string(prune_calls) +
                          "): readers are falling behind; no data was dropped yet";
    for (const char *k : {"TcpExt.PruneCalled", "TcpExt.RcvPruned", "TcpExt.TCPRcvQDrop",
                          "TcpExt.TCPZeroWindowDrop", "TcpExt.TCPBacklogDrop"})
        v.evidence[k] = counter(s, k);
    v.change = "read faster, or raise the receive buffer (net.ipv4.tcp_rmem max, or SO_RCVBUF "
               "which also stops autotuning)";
    v.confidence = "measured";
    out.push_back(std::move(v));
}

/// A receiver's TCP window closed: its buffer was full and the sender waited (no data lost:
/// the cost is latency and throughput).  The TCP socket whose data waited longest in its
/// receive queue is named as the likely slow reader.
void tcp_window_verdict(const Summary &s, std::vector<Verdict> &out)
{
    const std::int64_t closed = counter(s, "TcpExt.TCPToZeroWindowAdv");
    if (closed <= 0)
        return;
    Verdict v = counter_base(s, "tcp_zero_window");
    v.drops = static_cast<std::uint64_t>(std::max<std::int64_t>(0, counter(s, "TcpExt.TCPZeroWindowDrop")));
    const SocketRow *slow = nullptr;
    for (const SocketRow &r : s.sockets)
        if (r.proto == "tcp" && r.queue.count() &&
            (!slow || r.queue.percentile(0.99) > slow->queue.percentile(0.99)))
            slow = &r;
    v.subject = slow ? socket_subject(*slow) : std::string("TCP receivers");
    if (slow)
        v.socket = socket_json(*slow);
    v.cause = "TCP receivers closed their window " + std::to_string(closed) +
              " times (their receive buffer was full): the senders waited" +
              (slow ? "; the slowest reader seen: " + socket_subject(*slow) + ", data waited up to " +
                          human_ns(slow->queue.max()) + " in its queue"
                    : "");
    for (const char *k : {"TcpExt.TCPToZeroWindowAdv", "TcpExt.TCPFromZeroWindowAdv",
                          "TcpExt.TCPWantZeroWindowAdv", "TcpExt.TCPZeroWindowDrop"})
        v.evidence[k] = counter(s, k);
    if (slow)
        v.evidence["queue_p99_ns"] = slow->queue.percentile(0.99);
    v.change = "read faster; or let the window grow: an application's fixed SO_RCVBUF caps it "
               "(remove it so autotuning up to net.ipv4.tcp_rmem's max applies, or set it larger: "
               "SO_RCVBUF is capped by net.core.rmem_max)";
    v.confidence = "measured";
    out.push_back(std::move(v));
}

// --- the tool itself ----------------------------------------------------------------------------

void tool_verdicts(const Summary &s, std::vector<Verdict> &out)
{
    if (s.loss.ring) {
        std::uint64_t worst = 0;
        for (const auto &c : s.cpus)
            worst = std::max(worst, c.ring_full);
        Verdict v = base(s, "tool_ring");
        v.subject = "netstack-kmon's ring";
        v.cause = "the module's per-CPU ring was too small for the rate: " +
                  std::to_string(s.loss.ring) + " records were refused";
        v.evidence["lost"] = s.loss.ring;
        v.evidence["most_on_one_cpu"] = worst;
        if (s.ring_bytes) {
            v.evidence["ring_kb"] = s.ring_bytes / 1024;
            const std::uint64_t need = s.ring_bytes + worst * kRingBytesPerRecord;
            std::uint64_t kb = 16;
            while (kb * 1024 < need && kb < kRingKbMax)
                kb <<= 1;
            v.suggest["ring_kb"] = kb;
            v.change = "reload the module with ring_kb=" + std::to_string(kb) + " (now " +
                       std::to_string(s.ring_bytes / 1024) +
                       "), or collect less (--proto/--port, --sample)";
            if (kb == kRingKbMax && kb * 1024 < need)
                v.change += "; even the largest ring cannot hold this burst";
            v.confidence = "upper_bound";
        } else {
            v.change = "reload the module with a larger ring_kb, or collect less";
            v.confidence = "none";
        }
        out.push_back(std::move(v));
    }
    if (s.loss.netlink) {
        Verdict v = base(s, "tool_netlink");
        v.subject = "netstack-kmon's event socket";
        v.cause = std::to_string(s.loss.netlink) + " records were lost between the module and "
                  "the tool (the event socket's buffer overflowed)";
        v.evidence["lost"] = s.loss.netlink;
        v.evidence["enobufs"] = s.loss.enobufs;
        v.change = "raise net.core.rmem_max (the tool asks for a large event buffer), or "
                   "collect less";
        v.confidence = "measured";
        out.push_back(std::move(v));
    }
}

// --- latency ------------------------------------------------------------------------------------

void latency_verdict(const Summary &s, std::vector<Verdict> &out)
{
    const Histogram *total = &s.end_to_end;
    std::string total_name = "end_to_end";
    if (total->count() < 100) {
        total = &s.rx_to_user;
        total_name = "rx_to_user";
    }
    if (total->count() < 100)
        return;
    const std::uint64_t p99 = total->percentile(0.99);
    if (!p99)
        return;
    const StageRow *top = nullptr;
    std::uint64_t top_p99 = 0;
    for (const StageRow &st : s.stages) {
        if (st.hist.count() < total->count() / 10)
            continue;
        const std::uint64_t q = st.hist.percentile(0.99);
        if (q > top_p99) {
            top_p99 = q;
            top = &st;
        }
    }
    if (!top)
        return;
    const double share = std::min(1.0, static_cast<double>(top_p99) / static_cast<double>(p99));
    Verdict v = base(s, "latency");
    v.subject = total_name + " p99 " + human_ns(p99);
    const bool queue = top->path == "queue";
    // TCP data written but not sent yet: the send queue, held by the window or congestion
    const bool sendq = top->from == "tcp_sendmsg_locked";
    v.cause = std::string(queue ? "time in the socket queue" : "the stage " + top->from + " -> " +
                                                                   top->to) +
              " is " + num(share * 100) + " % of the p99 " + total_name + " latency (" +
              human_ns(top_p99) + " of " + human_ns(p99) + ")" +
              (queue ? ": the reader, not the stack"
                     : sendq ? ": data waited in the sender's socket queue (the receiver's "
                               "window or congestion control held it back)"
                             : "");
    v.evidence["p99_ns"] = p99;
    v.evidence["stage"] = {{"path", top->path}, {"from", top->from}, {"to", top->to},
                           {"p99_ns", top_p99}, {"count", top->hist.count()}};
    v.evidence["share"] = std::round(share * 1000) / 1000;
    v.change = queue ? "make the reader read sooner (more threads, less work per read, "
                       "busy polling); the kernel's part is small"
               : sendq ? "see tcp_zero_window if the receiver's window closed; else the path's "
                         "congestion (retransmits, the qdisc)"
                     : "look at what runs in " + top->from + " -> " + top->to +
                           " (the stage table; per socket: the sockets table)";
    v.confidence = "measured";
    out.push_back(std::move(v));
}

} // namespace

RcvbufSize rcvbuf_for(std::uint64_t bytes)
{
    RcvbufSize r;
    const std::uint64_t want = bytes + bytes / 4;
    r.sk_rcvbuf = (want + 4095) / 4096 * 4096;
    r.so_rcvbuf = r.sk_rcvbuf / 2;
    return r;
}

std::vector<Verdict> diagnose(const Summary &s)
{
    std::vector<Verdict> out;
    socket_verdicts(s, out);
    drop_table_verdicts(s, out);
    backlog_verdict(s, out);
    device_verdicts(s, out);
    tcp_verdict(s, out);
    tcp_window_verdict(s, out);
    std::stable_sort(out.begin(), out.end(),
                     [](const Verdict &a, const Verdict &b) { return a.drops > b.drops; });
    latency_verdict(s, out);
    tool_verdicts(s, out);
    return out;
}

nlohmann::ordered_json verdict_json(const Verdict &v)
{
    ojson o;
    o["kind"] = v.kind;
    o["subject"] = v.subject;
    o["socket"] = v.socket;
    o["drops"] = v.drops;
    o["cause"] = v.cause;
    o["evidence"] = v.evidence;
    o["change"] = v.change;
    o["suggest"] = v.suggest;
    o["confidence"] = v.confidence;
    o["caveats"] = v.caveats;
    return o;
}

} // namespace nsk
