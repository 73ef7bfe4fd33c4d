#include "nsk/summary.hpp"

#include "nsk/format.hpp"
#include "nsk/pipeline.hpp"
#include "nsk/reconciler.hpp"

#include <algorithm>

namespace nsk {

std::vector<std::uint32_t> SamplingInfo::divisors() const
{
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i <= changes.size(); ++i)
        if (std::find(out.begin(), out.end(), divisor(i)) == out.end())
            out.push_back(divisor(i));
    return out;
}

bool SamplingInfo::sampled() const
{
    const auto d = divisors();
    return configured > 1 || std::any_of(d.begin(), d.end(), [](auto n) { return n > 1; });
}

Estimate estimate(const SamplingInfo &si, const std::vector<Period> &periods)
{
    Estimate e;
    if (!si.sampled())
        return e;
    if (si.omitted) {
        e.note = "no estimate: the governor changed the divisor more than " +
                 std::to_string(SamplingInfo::kMaxChanges) + " times (" +
                 std::to_string(si.omitted) +
                 " more), beyond the periods this tool keeps; the counts are the sampled ones";
        return e;
    }
    if (si.missed()) {
        e.note = "no estimate: the kernel changed the divisor " +
                 std::to_string(*si.kernel_changes) + " times, this tool received " +
                 std::to_string(si.changes.size()) + " of the changes, so the periods are unknown";
        return e;
    }
    if (periods.size() != si.changes.size() + 1) {
        e.note = "no estimate: the sampling periods do not match the governor's changes";
        return e;
    }
    e.available = true;
    for (std::size_t i = 0; i < periods.size(); ++i) {
        const std::uint64_t d = si.divisor(i);
        const Tally &c = periods[i].counts;
        e.scaled.events += c.events * d;
        e.scaled.rx_packets += c.rx_packets * d;
        e.scaled.tx_packets += c.tx_packets * d;
        e.scaled.drops += c.drops * d;
        e.exact = e.exact && periods[i].exact;
    }
    const auto ds = si.divisors();
    std::string list;
    for (auto d : ds)
        list += (list.empty() ? "1/" : ", 1/") + std::to_string(d);
    if (ds.size() == 1) {
        e.factor = ds.front();
        e.note = "measured x " + std::to_string(ds.front()) + " (1 flow in " +
                 std::to_string(ds.front()) + " sampled)";
    } else {
        e.note = "each period scaled by its own divisor (" + list + ")";
    }
    e.note += "; flows are kept or dropped whole, so with few flows the error is large";
    if (!si.recorded)
        e.note += "; this capture does not record the governor's decisions: if it changed the "
                  "divisor, the estimate is wrong";
    if (!e.exact)
        e.note += "; approximate: a change arrived after records of its period were processed";
    return e;
}

SocketRow socket_row(const SocketStats &k)
{
    SocketRow r;
    r.proto = proto_name(k.proto);
    r.family = family_number(k.family);
    r.local = k.local;
    r.remote = k.remote;
    r.netns = k.netns;
    if (k.pid)
        r.pid = k.pid;
    r.pids.assign(k.pids.begin(), k.pids.end());
    r.comm = k.comm;
    r.sk_ino = k.sk_ino;
    r.rx_packets = k.rx_packets();
    r.tx_packets = k.tx_packets;
    r.tx_dropped = k.tx_dropped;
    r.tx = k.tx;
    r.dequeued = k.dequeued;
    r.drops = k.drops;
    r.drops_total = k.drops_total;
    r.drops_after_queue = k.drops_after_queue;
    r.fail_queue_events = k.fail_queue_events;
    r.exceed_buf_events = k.exceed_buf_events;
    r.rcvqueue_full_events = k.rcvqueue_full_events;
    r.queue = k.queue;
    r.mem = k.mem;
    r.tx_bytes = k.tx_bytes;
    r.rx_bytes = k.rx_bytes;
    r.tx_calls = k.tx_calls;
    r.tx_by_pid = k.tx_by_pid;
    r.queued_now = k.queued_now;
    r.tcp_duplicates = k.tcp_duplicates;
    r.queued_oldest_ns = k.queued_oldest_ns;
    return r;
}

Summary build_summary(const Pipeline &p, const SummaryContext &ctx)
{
    const Correlator &c = p.correlator();
    const DecodeStats &d = p.decoder().stats();
    auto name = [&](std::uint16_t id) {
        auto it = ctx.probe_names.find(id);
        return it != ctx.probe_names.end() ? it->second : probe_name(id);
    };

    Summary s;
    s.duration_s = ctx.duration_s;
    s.kernel = ctx.kernel;
    s.module_version = ctx.module_version;
    s.events = d.records;
    s.rx = c.total_rx();
    s.queue = c.total_queue();
    s.tx = c.total_tx();
    s.end_to_end = c.total_end_to_end();
    s.rx_to_user = c.total_rx_to_user();
    s.tx_journeys = c.tx_journeys_now();
    for (const auto &st : c.stages())
        s.stages.push_back({st.path, name(st.from), name(st.to), st.hist});
    s.rx_journeys = c.rx_journeys_now();
    for (const auto &[ns, n] : c.forwarded_by_netns())
        s.forwarding.push_back({ns, {}, n, std::nullopt});
    s.reversed_stages = c.reversed_stages();
    for (const auto &k : c.sockets())
        s.sockets.push_back(socket_row(k));
    const PrunedSockets &pr = c.pruned_sockets();
    s.pruned_entries = pr.entries;
    for (const auto &kv : pr.groups) {
        SocketRow r = socket_row(kv.second.sum);
        r.pruned_sockets = kv.second.sockets;
        s.sockets_pruned.push_back(std::move(r));
    }
    for (const auto &dr : c.drops())
        s.drops.push_back(
            {dr.reason, dr.location, dr.stage, dr.proto, dr.count, dr.by_location, dr.targets});
    for (const auto &cpu : ctx.cpus) {
        s.loss.ring += cpu.ring_full;
        s.loss.nmi_refused += cpu.nmi_refused;
    }
    s.loss.netlink = d.gap_records;
    s.loss.user = d.user_loss();
    s.loss.incomplete_journeys = c.incomplete_loss();
    s.loss.evicted_journeys = c.evicted_journeys();
    s.loss.enobufs = d.enobufs;
    s.loss.malformed = d.malformed;
    s.loss.duplicate = d.duplicate;
    s.loss.late = p.reorder().late();
    if (p.reorder().window_grew()) {
        s.loss.reorder_window_ns = p.reorder().window_ns();
        s.loss.reorder_peak = p.reorder().peak_size();
    }
    if (ctx.probe_missed) {
        s.loss.probe_missed_known = true;
        s.loss.probe_missed_by = *ctx.probe_missed;
        for (const auto &pm : *ctx.probe_missed)
            s.loss.probe_missed += pm.second;
    }
    s.probes_seen = c.probes_seen();
    s.cpus = ctx.cpus;
    s.filters = ctx.filters;
    s.sampling = ctx.sampling;
    if (s.sampling.sampled())
        s.estimated = estimate(s.sampling, p.periods());
    set_precision(s, ctx.histogram);
    s.sysctls = ctx.sysctls;
    s.ring_bytes = ctx.ring_bytes;
    return s;
}

void set_precision(Summary &s, Precision p)
{
    s.histogram = p;
    for (Histogram *h : {&s.tx, &s.rx, &s.queue, &s.end_to_end, &s.rx_to_user})
        h->set_precision(p);
    for (auto &st : s.stages)
        st.hist.set_precision(p);
    for (auto *rows : {&s.sockets, &s.sockets_pruned})
        for (auto &r : *rows) {
            r.queue.set_precision(p);
            r.tx.set_precision(p);
        }
}

namespace {

/// The sockets' queue drops against the kernel's UDP totals, for the sockets of our network
/// namespace (/proc/net/snmp and snmp6 are per network namespace).
void check_udp_totals(Summary &s, const Reconciler &rec)
{
    auto counter = [&](const std::string &k) -> std::optional<std::int64_t> {
        auto it = s.counters.find(k);
        if (it == s.counters.end())
            return std::nullopt;
        return it->second;
    };
    // Queue drops of UDP sockets: {Udp,UdpLite}{,6}.{RcvbufErrors,MemErrors}.  The kernel counts
    // a datagram in the MIB of the packet's family: an IPv4 datagram refused by a dual-stack
    // IPv6 socket grows Udp.*, so with both families known one check covers both.
    struct Family {
        int family;
        const char *suffix;
        std::int64_t kernel = 0, seen = 0;
        bool known = false;
    };
    Family fams[2] = {{4, ""}, {6, "6"}};
    for (auto &f : fams) {
        if (!counter(std::string("Udp") + f.suffix + ".RcvbufErrors"))
            continue;
        f.known = true;
        for (const char *proto : {"Udp", "UdpLite"})
            for (const char *field : {".RcvbufErrors", ".MemErrors"})
                f.kernel += counter(proto + std::string(f.suffix) + field).value_or(0);
    }
    const auto own = rec.own_netns();
    for (const auto *rows : {&s.sockets, &s.sockets_pruned}) // (pruned sockets count too)
        for (const auto &row : *rows) {
            if (row.proto != "udp" && row.proto != "udplite")
                continue;
            if (own && row.netns != 0 && row.netns != *own)
                continue;
            for (auto &f : fams)
                if (row.family == f.family)
                    f.seen += static_cast<std::int64_t>(row.drops_total);
        }
    const Family &v4 = fams[0], &v6 = fams[1];
    if (v4.known && !v6.known) {
        if (v4.seen != v4.kernel)
            s.mismatches.push_back("all IPv4 UDP sockets: saw " + std::to_string(v4.seen) +
                                   " queue drops, Udp.RcvbufErrors+Udp.MemErrors grew by " +
                                   std::to_string(v4.kernel));
    } else if (v6.known && !v4.known) {
        if (v6.seen != v6.kernel)
            s.mismatches.push_back("all IPv6 UDP sockets: saw " + std::to_string(v6.seen) +
                                   " queue drops, Udp6.RcvbufErrors+Udp6.MemErrors grew by " +
                                   std::to_string(v6.kernel));
    } else if (v4.known && v6.known && v4.seen + v6.seen != v4.kernel + v6.kernel) {
        s.mismatches.push_back(
            "all UDP sockets: saw " + std::to_string(v4.seen + v6.seen) + " queue drops (IPv4 " +
            std::to_string(v4.seen) + ", IPv6 " + std::to_string(v6.seen) +
            "), Udp.RcvbufErrors+Udp.MemErrors grew by " + std::to_string(v4.kernel) +
            ", Udp6.RcvbufErrors+Udp6.MemErrors by " + std::to_string(v6.kernel));
    }
}

/// Packets forwarded: the tool's count per namespace beside the kernel's (Ip.ForwDatagrams +
/// Ip6.OutForwDatagrams growth in that namespace), also for a namespace that forwarded
/// packets the tool did not see.
void reconcile_forwarding(Summary &s, const Reconciler &rec)
{
    auto forwarded = [](const CounterMap &m) {
        std::int64_t n = 0;
        for (const char *k : {"Ip.ForwDatagrams", "Ip6.OutForwDatagrams"})
            if (auto it = m.find(k); it != m.end())
                n += it->second;
        return n;
    };
    std::map<std::uint32_t, std::int64_t> kernel;
    std::map<std::uint32_t, std::string> names = rec.netns_read();
    for (const auto &kv : names)
        kernel[kv.first] = 0; // read, no counter moved
    if (auto own = rec.own_netns(); own && !s.counters.empty())
        kernel[*own] = forwarded(s.counters);
    for (const auto &ns : s.namespaces)
        kernel[ns.netns] = forwarded(ns.counters);
    // Rows of namespaces only the kernel counted are (re)made here: reconcile() may run again.
    s.forwarding.erase(std::remove_if(s.forwarding.begin(), s.forwarding.end(),
                                      [](const Summary::Forwarding &f) { return f.tool == 0; }),
                       s.forwarding.end());
    for (auto &f : s.forwarding) {
        auto k = kernel.find(f.netns);
        f.kernel = k != kernel.end() ? std::optional<std::int64_t>(k->second) : std::nullopt;
        f.name = names.count(f.netns) ? names[f.netns] : std::string();
    }
    for (const auto &[ns, n] : kernel)
        if (n > 0 && std::none_of(s.forwarding.begin(), s.forwarding.end(),
                                  [ns = ns](const Summary::Forwarding &f) { return f.netns == ns; }))
            s.forwarding.push_back({ns, names.count(ns) ? names[ns] : std::string(), 0, n});
    std::sort(s.forwarding.begin(), s.forwarding.end(),
              [](const Summary::Forwarding &a, const Summary::Forwarding &b) {
                  return a.netns < b.netns;
              });
    if (s.filters.any() || s.sampling.sampled())
        return; // the tool saw part of the traffic: not comparable
    for (const auto &f : s.forwarding)
        if (f.kernel && *f.kernel != static_cast<std::int64_t>(f.tool))
            s.mismatches.push_back(
                "netns " + std::to_string(f.netns) + (f.name.empty() ? "" : " (" + f.name + ")") +
                ": saw " + std::to_string(f.tool) +
                " packets forwarded, Ip.ForwDatagrams+Ip6.OutForwDatagrams grew by " +
                std::to_string(*f.kernel));
}

} // namespace

void reconcile(Summary &s, const Reconciler &rec)
{
    s.counters = rec.counter_deltas();
    s.loss.proc_rows_evicted = rec.evicted_rows();
    s.softnet = rec.softnet_deltas();
    s.devices.reset();
    if (auto all = rec.device_deltas()) {
        // Only the devices that moved: a host with many containers has hundreds of idle veths.
        s.devices.emplace();
        for (auto &d : *all)
            if (d.moved())
                s.devices->push_back(std::move(d));
    }
    s.namespaces = rec.netns_counter_deltas();
    s.mismatches.clear();
    reconcile_forwarding(s, rec);
    for (auto &row : s.sockets) {
        if (row.proto != "udp" && row.proto != "udplite")
            continue; // /proc/net/udp{,6} drops: UDP sockets only
        std::optional<std::int64_t> kd;
        if (row.sk_ino)
            kd = rec.drops_delta(row.sk_ino);
        if (!kd && !row.local.empty())
            kd = rec.drops_delta(row.local, row.remote);
        row.kernel_drops_delta = kd;
        row.mismatch = kd && *kd != static_cast<std::int64_t>(row.drops_total);
        if (row.mismatch)
            s.mismatches.push_back(
                row.proto + " " + row.local + " (inode " + std::to_string(row.sk_ino) + "): saw " +
                std::to_string(row.drops_total) + " queue drops, /proc/net/udp drops grew by " +
                std::to_string(*kd));
    }
    // Totals: only meaningful when nothing was filtered out.
    if (!s.filters.any())
        check_udp_totals(s, rec);
    s.reconciled = s.mismatches.empty();
}

} // namespace nsk
