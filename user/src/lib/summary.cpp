#include "nsk/summary.hpp"

#include "nsk/format.hpp"
#include "nsk/pipeline.hpp"
#include "nsk/reconciler.hpp"

namespace nsk {

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
    s.reversed_stages = c.reversed_stages();
    for (const auto &k : c.sockets()) {
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
        r.tx_bytes = k.tx_bytes;
        r.rx_bytes = k.rx_bytes;
        r.tx_calls = k.tx_calls;
        r.tx_by_pid = k.tx_by_pid;
        r.queued_now = k.queued_now;
        r.tcp_duplicates = k.tcp_duplicates;
        r.queued_oldest_ns = k.queued_oldest_ns;
        s.sockets.push_back(std::move(r));
    }
    for (const auto &dr : c.drops())
        s.drops.push_back({dr.reason, dr.location, dr.stage, dr.proto, dr.count});
    for (const auto &cpu : ctx.cpus)
        s.loss.ring += cpu.ring_full;
    s.loss.netlink = d.gap_records;
    s.loss.user = d.user_loss();
    s.loss.incomplete_journeys = c.incomplete_loss();
    s.loss.enobufs = d.enobufs;
    s.loss.malformed = d.malformed;
    s.loss.duplicate = d.duplicate;
    s.loss.late = p.reorder().late();
    s.probes_seen = c.probes_seen();
    s.cpus = ctx.cpus;
    s.filters = ctx.filters;
    return s;
}

void reconcile(Summary &s, const Reconciler &rec)
{
    s.counters = rec.counter_deltas();
    s.mismatches.clear();
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
    // Totals: only meaningful when nothing was filtered out and we are in the same netns as
    // the counters (/proc/net/snmp is per network namespace; IPv6 counts in snmp6).
    auto counter = [&](const char *k) -> std::optional<std::int64_t> {
        auto it = s.counters.find(k);
        if (it == s.counters.end())
            return std::nullopt;
        return it->second;
    };
    auto rcvbuf = counter("Udp.RcvbufErrors");
    if (!s.filters.any() && rcvbuf) {
        std::int64_t kernel = *rcvbuf + counter("Udp.MemErrors").value_or(0) +
                              counter("UdpLite.RcvbufErrors").value_or(0) +
                              counter("UdpLite.MemErrors").value_or(0);
        std::int64_t seen = 0;
        const auto own = rec.own_netns();
        for (const auto &row : s.sockets)
            if (row.family == 4 && (row.proto == "udp" || row.proto == "udplite") &&
                (!own || row.netns == 0 || row.netns == *own))
                seen += static_cast<std::int64_t>(row.drops_total);
        if (seen != kernel)
            s.mismatches.push_back("all IPv4 UDP sockets: saw " + std::to_string(seen) +
                                   " queue drops, Udp.RcvbufErrors+Udp.MemErrors grew by " +
                                   std::to_string(kernel));
    }
    s.reconciled = s.mismatches.empty();
}

} // namespace nsk
