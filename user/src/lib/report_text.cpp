#include "nsk/format.hpp"
#include "nsk/report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace nsk {
namespace {

std::string fixed(double v, int digits)
{
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
    return buf;
}

std::vector<std::string> latency_cells(const Histogram &h)
{
    const auto s = h.summary();
    if (s.count == 0)
        return {"0", "-", "-", "-", "-", "-"};
    return {std::to_string(s.count), human_ns(s.p50_ns),  human_ns(s.p90_ns),
            human_ns(s.p99_ns),      human_ns(s.p999_ns), human_ns(s.max_ns)};
}

std::string header(const Summary &s, const TextOptions &o)
{
    std::string out = "netstack-kmon " + o.title + ": kernel " +
                      (s.kernel.empty() ? "?" : s.kernel) + ", module " +
                      (s.module_version.empty() ? "?" : s.module_version) + ", " +
                      fixed(s.duration_s, 1) + " s, " + std::to_string(s.events) + " events";
    if (s.duration_s > 0)
        out += " (" + fixed(static_cast<double>(s.events) / s.duration_s, 0) + "/s)";
    out += ", filters: " + filters_text(s.filters) + "\n";
    return out;
}

std::string divisor_text(std::uint32_t d)
{
    return "1/" + std::to_string(d);
}

// What the numbers below are of (sampled flows?), estimates beside them, and every decision of
// the overhead governor.  Nothing for captures that recorded neither.
std::string sampling_section(const Summary &s)
{
    const SamplingInfo &si = s.sampling;
    std::string out;
    if (si.sampled()) {
        std::string ds;
        for (auto d : si.divisors())
            ds += (ds.empty() ? "" : ", ") + divisor_text(d);
        out += "sampling: " + ds + " of flows (" +
               (si.configured > 1 ? "--sample " + divisor_text(si.configured) : "no --sample") +
               (si.changes.empty() ? "" : ", governor") +
               "); counts are measured on the sampled flows\n";
        const Estimate &e = s.estimated;
        if (e.available) {
            const std::string how = "(estimate, " +
                                    (e.factor ? divisor_text(*e.factor) + " sampled"
                                              : "each period scaled by its own divisor") +
                                    (e.exact ? "" : ", approximate") + ")";
            std::vector<std::vector<std::string>> rows;
            for (const auto &[label, v] :
                 {std::pair<const char *, std::uint64_t>{"events", e.scaled.events},
                  {"rx packets", e.scaled.rx_packets},
                  {"tx packets", e.scaled.tx_packets},
                  {"drops", e.scaled.drops}})
                rows.push_back({std::string("  ") + label, "~" + std::to_string(v), how});
            out += render_table(rows, {1}, "  ");
        }
        out += "  " + e.note + "\n";
    }
    if (!si.recorded)
        return out.empty() ? out : "\n" + out;
    out += "governor: ";
    if (!si.budget && si.changes.empty()) {
        out += "off (no budget)\n";
    } else {
        out += "budget " + std::to_string(si.budget) + " records/s per CPU, ";
        out += si.changes.empty() ? "no changes" : std::to_string(si.changes.size()) + " change(s)";
        if (si.kernel_changes)
            out += " (kernel counted " + std::to_string(*si.kernel_changes) + ")";
        out += "\n";
        std::vector<std::vector<std::string>> rows;
        // the latest kTextChanges (a governor that kept changing: the JSON has them all)
        constexpr std::size_t kTextChanges = 20;
        const std::size_t skip =
            si.changes.size() > kTextChanges ? si.changes.size() - kTextChanges : 0;
        if (skip)
            out += "  (" + std::to_string(skip) + " earlier change(s) not listed)\n";
        for (std::size_t i = skip; i < si.changes.size(); ++i) {
            const GovernorChange &c = si.changes[i];
            const bool up = c.to > c.from;
            const double t =
                static_cast<double>(static_cast<std::int64_t>(c.ts_ns - si.t0_ns)) / 1e9;
            rows.push_back({"  " + std::string(t < 0 ? "" : "+") + fixed(t, 3) + " s",
                            divisor_text(c.from) + " → " + divisor_text(c.to),
                            "rate " + std::to_string(c.rate) + " records/s " +
                                (up ? "> budget " : "< budget/4, budget ") +
                                std::to_string(c.budget)});
        }
        if (!rows.empty())
            out += render_table(rows, {}, "  ");
        if (si.omitted)
            out += "  " + std::to_string(si.omitted) + " more change(s) received and counted, "
                   "not kept (the bound of " + std::to_string(SamplingInfo::kMaxChanges) + ")\n";
        if (si.missed())
            out += "  " + std::to_string(si.missed()) +
                   " change(s) the kernel made were not received (netlink loss)\n";
    }
    return "\n" + out;
}

std::string latency_section(const Summary &s, const TextOptions &o)
{
    std::string out;
    bool any_tx = s.tx.count() > 0;
    for (const auto &st : s.stages)
        any_tx = any_tx || st.path == "tx";
    using Rows = std::vector<std::vector<std::string>>;
    auto add = [&](Rows &rows, const std::string &label, const Histogram &h) {
        auto cells = latency_cells(h);
        cells.insert(cells.begin(), label);
        rows.push_back(std::move(cells));
    };
    if (any_tx) {
        out += "\nTX latency by stage\n";
        Rows rows{{"STAGE", "COUNT", "p50", "p90", "p99", "p99.9", "max"}};
        for (const auto &st : s.stages)
            if (st.path == "tx")
                add(rows, st.from + " → " + st.to, st.hist);
        add(rows, "total tx: sendmsg → driver", s.tx);
        out += render_table(rows, {1, 2, 3, 4, 5, 6}, "  ");
    }
    auto relayed = [](const std::string &path) { return path == "fwd" || path == "bridge"; };
    if (std::any_of(s.stages.begin(), s.stages.end(),
                    [&](const StageRow &st) { return relayed(st.path); })) {
        // Packets this host forwards (ip_forward on) or bridges (port receive on): their own
        // path, so a router's or a bridge's share of the latency is not mixed with local sends.
        out += "\nRelayed latency by stage (fwd: IP forwarding, bridge: sent on without IP)\n";
        Rows rows{{"STAGE", "COUNT", "p50", "p90", "p99", "p99.9", "max"}};
        for (const auto &st : s.stages)
            if (relayed(st.path))
                add(rows, st.from + " → " + st.to + "  (" + st.path + ")", st.hist);
        out += render_table(rows, {1, 2, 3, 4, 5, 6}, "  ");
    }
    out += "\nRX latency by stage\n";
    Rows rows{{"STAGE", "COUNT", "p50", "p90", "p99", "p99.9", "max"}};
    for (const auto &st : s.stages)
        if (st.path != "tx" && !relayed(st.path))
            add(rows,
                st.from + " → " + st.to +
                    (st.path == "queue"      ? "  (in queue)"
                     : st.path == "loopback" ? "  (loopback)"
                                             : ""),
                st.hist);
    add(rows, "total rx: first probe → socket queue", s.rx);
    add(rows, "total queue: socket queue → user copy", s.queue);
    if (s.end_to_end.count() > 0)
        add(rows, "end to end: sendmsg → user copy", s.end_to_end);
    out += render_table(rows, {1, 2, 3, 4, 5, 6}, "  ");
    for (const auto &[name, h] :
         {std::pair<const char *, const Histogram &>{"tx", s.tx},
          std::pair<const char *, const Histogram &>{"rx", s.rx},
          std::pair<const char *, const Histogram &>{"queue", s.queue},
          std::pair<const char *, const Histogram &>{"end_to_end", s.end_to_end}}) {
        if (h.count() == 0)
            continue;
        out += "\n  totals." + std::string(name) + " (ns, log2):\n";
        out += h.render_bars(o.bar_width, "  ");
    }
    return out;
}

// Two log2 histograms on shared bucket rows, bpftrace style: "[8K, 16K)  12 |@@@ |  40 |@@@@@@|".
std::string side_by_side(const Histogram &a, const Histogram &b, int width,
                         const std::string &indent)
{
    int first = Histogram::kBuckets, last = -1;
    std::uint64_t peak_a = 1, peak_b = 1;
    std::map<int, std::pair<std::uint64_t, std::uint64_t>> rows;
    for (const auto &bk : a.nonempty()) {
        const int i = Histogram::bucket_of(bk.lower_ns);
        rows[i].first = bk.count;
        peak_a = std::max(peak_a, bk.count);
    }
    for (const auto &bk : b.nonempty()) {
        const int i = Histogram::bucket_of(bk.lower_ns);
        rows[i].second = bk.count;
        peak_b = std::max(peak_b, bk.count);
    }
    for (const auto &kv : rows) {
        first = std::min(first, kv.first);
        last = std::max(last, kv.first);
    }
    std::vector<std::vector<std::string>> table{{"(ns, log2)", "SEND", "", "RECEIVE", ""}};
    auto bar = [&](std::uint64_t c, std::uint64_t peak) {
        auto n = static_cast<int>(static_cast<double>(c) * width / static_cast<double>(peak));
        if (c > 0 && n == 0)
            n = 1;
        return "|" + std::string(static_cast<std::size_t>(n), '@') +
               std::string(static_cast<std::size_t>(width - n), ' ') + "|";
    };
    for (int i = first; i <= last; ++i) {
        const auto [ca, cb] = rows.count(i) ? rows[i] : std::pair<std::uint64_t, std::uint64_t>{};
        table.push_back({"[" + pow2_label(Histogram::bucket_lower(i)) + ", " +
                             pow2_label(Histogram::bucket_upper(i)) + ")",
                         std::to_string(ca), bar(ca, peak_a), std::to_string(cb), bar(cb, peak_b)});
    }
    return render_table(table, {1, 3}, indent);
}

// TCP: the send and the receive latency next to each other, per packet (the seed measured them
// per socket with bpftrace: @send / @recv log2 histograms).
std::string tcp_section(const Summary &s, const TextOptions &o)
{
    if (!s.tx_journeys.tcp && !s.rx_journeys.tcp)
        return "";
    const auto &t = s.tx_journeys;
    std::string out = "\nTCP: " + std::to_string(t.tcp_segments) + " segments sent (" +
                      std::to_string(t.tcp_data) + " with data, " +
                      std::to_string(t.tcp_retransmits) + " retransmitted, " +
                      std::to_string(t.tcp_bytes) + " new bytes), " +
                      std::to_string(s.rx_journeys.tcp_segments) + " received (" +
                      std::to_string(s.rx_journeys.tcp_data) + " with data), " +
                      std::to_string(s.rx_journeys.tcp_bytes) + " bytes copied to user\n";
    auto pct = [](const Histogram &h) {
        const auto c = latency_cells(h);
        return "n=" + c[0] + "  p50 " + c[1] + "  p90 " + c[2] + "  p99 " + c[3] + "  max " + c[5];
    };
    out += "  send:    sendmsg -> driver          " + pct(s.tx) + "\n";
    out += "  receive: first probe -> user copy   " + pct(s.rx_to_user) + "\n\n";
    out += side_by_side(s.tx, s.rx_to_user, std::max(8, o.bar_width / 2), "  ");
    return out;
}

std::string journeys_line(const Summary &s)
{
    std::string out;
    const auto &t = s.tx_journeys;
    if (t.complete || t.incomplete || t.dropped || t.consumed || t.in_flight) {
        out += "\nTX journeys: " + std::to_string(t.complete) + " reached the driver, " +
               std::to_string(t.dropped) + " dropped, " + std::to_string(t.incomplete) +
               " incomplete";
        if (t.in_flight)
            out += ", " + std::to_string(t.in_flight) + " in flight";
        out += " (" + std::to_string(t.with_sendmsg) + " with their sendmsg)";
    }
    const auto &j = s.rx_journeys;
    out += "\nRX journeys: " + std::to_string(j.complete) + " complete, " +
           std::to_string(j.dropped) + " dropped, " + std::to_string(j.incomplete) +
           " incomplete, " + std::to_string(j.consumed) + " consumed, " +
           std::to_string(j.queued_at_end) + " queued at end";
    if (j.forwarded || j.bridged || t.relayed)
        out += "\nRelayed: " + std::to_string(j.forwarded) + " forwarded, " +
               std::to_string(j.bridged) + " bridged, " + std::to_string(t.relayed) +
               " of them reached the driver again";
    if (j.in_flight)
        out += ", " + std::to_string(j.in_flight) + " in flight";
    if (j.fanout_children)
        out += " (" + std::to_string(j.fanout_children) + " multicast copies)";
    if (j.partial)
        out += " (" + std::to_string(j.partial) + " seen only from a later stage)";
    return out + "\n";
}

std::string sockets_section(const Summary &s, bool only_drops)
{
    std::vector<std::vector<std::string>> rows{{"PROTO", "LOCAL", "REMOTE", "NETNS", "PID", "COMM",
                                                "RX", "TX", "DROPS", "KERNEL-DROPS", "QUEUE p50",
                                                "QUEUE p99", "DROP REASONS"}};
    for (const auto &r : s.sockets) {
        if (only_drops && r.drops_total == 0 && !r.mismatch)
            continue;
        std::string reasons;
        for (const auto &[k, v] : r.drops)
            reasons += (reasons.empty() ? "" : " ") + k + ":" + std::to_string(v);
        std::string kd = r.kernel_drops_delta ? std::to_string(*r.kernel_drops_delta) : "-";
        if (r.mismatch)
            kd += " MISMATCH";
        std::string pid = r.pid ? std::to_string(*r.pid) : "-";
        if (r.pids.size() > 1)
            pid += "+" + std::to_string(r.pids.size() - 1);
        const auto q = r.queue.summary();
        rows.push_back({r.proto, r.local.empty() ? "?" : r.local, r.remote.empty() ? "?" : r.remote,
                        r.netns ? std::to_string(r.netns) : "-", pid, r.comm.empty() ? "-" : r.comm,
                        std::to_string(r.rx_packets), std::to_string(r.tx_packets),
                        std::to_string(r.drops_total), kd, q.count ? human_ns(q.p50_ns) : "-",
                        q.count ? human_ns(q.p99_ns) : "-", reasons.empty() ? "-" : reasons});
    }
    std::string out = only_drops ? "\nSockets with drops\n" : "\nSockets\n";
    std::string pruned;
    if (!s.sockets_pruned.empty()) {
        std::uint64_t n = 0, rx = 0, tx = 0, drops = 0;
        for (const auto &r : s.sockets_pruned) {
            n += r.pruned_sockets;
            rx += r.rx_packets;
            tx += r.tx_packets;
            drops += r.drops_total;
        }
        pruned = "  + " + std::to_string(n) +
                 " sockets pruned from the table (idle, or beyond --max-sockets): RX " +
                 std::to_string(rx) + ", TX " + std::to_string(tx) + ", DROPS " +
                 std::to_string(drops) + "\n";
    }
    if (rows.size() == 1)
        return out + (pruned.empty() ? "  (none)\n" : pruned);
    return out + render_table(rows, {3, 4, 6, 7, 8, 9, 10, 11}, "  ") + pruned;
}

std::string drops_section(const Summary &s)
{
    std::string out = "\nDrops by reason and location\n";
    if (s.drops.empty())
        return out + "  (none)\n";
    std::vector<std::vector<std::string>> rows{{"REASON", "LOCATION", "COUNT", "STAGE", "PROTO"}};
    for (const auto &d : s.drops)
        rows.push_back({d.by_location ? d.reason + " (by location)" : d.reason,
                        d.location.empty() ? "?" : d.location, std::to_string(d.count),
                        d.stage.empty() ? "-" : d.stage, d.proto.empty() ? "-" : d.proto});
    return out + render_table(rows, {2}, "  ");
}

/// A counter delta the text shows (JSON has them all).
bool counter_in_text(const std::string &k, std::int64_t v)
{
    auto in = [&](const char *section) { return k.rfind(section, 0) == 0; };
    if (in("Udp."))
        return true; // all Udp fields
    if (v == 0)
        return false; // other sections only when they moved
    if (k == "Ip.ForwDatagrams")
        return true; // this namespace routed packets: compare with journeys.rx.forwarded
    if (in("Ip.") || in("Icmp."))
        return false; // noise for a receive report
    if (in("Tcp.") || in("UdpLite.") || in("Udp6.") || in("UdpLite6."))
        return true;
    return is_drop_counter(k); // TcpExt, IpExt, Ip6, Icmp6: drops and errors only
}

std::string softnet_line(const std::vector<SoftnetDelta> &cpus)
{
    std::uint64_t processed = 0;
    for (const auto &c : cpus)
        processed += c.processed;
    std::string out = "  softnet_stat: " + std::to_string(processed) + " processed";
    auto field = [&](const char *name, std::uint64_t SoftnetDelta::*f, bool always) {
        std::uint64_t total = 0;
        std::string per_cpu;
        for (const auto &c : cpus) {
            total += c.*f;
            if (c.*f)
                per_cpu += (per_cpu.empty() ? "" : ", ") + std::string("cpu") +
                           std::to_string(c.cpu) + " " + std::to_string(c.*f);
        }
        if (total || always)
            out += ", " + std::to_string(total) + " " + name +
                   (per_cpu.empty() ? "" : " (" + per_cpu + ")");
    };
    field("dropped", &SoftnetDelta::dropped, true);
    field("time_squeeze", &SoftnetDelta::time_squeeze, true);
    field("flow_limit", &SoftnetDelta::flow_limit, false);
    return out + "\n";
}

/// The devices whose /proc/net/dev counters moved, one row each (namespace, name, then the
/// counters of kDeviceFields, headed by their keys in capitals); the summary holds no others.
std::string devices_table(const std::vector<DeviceDelta> &devices)
{
    if (devices.empty())
        return "  /proc/net/dev: no device counters moved\n";
    std::vector<std::vector<std::string>> rows{{"NETNS", "DEVICE"}};
    std::vector<std::size_t> right;
    for (const auto &f : kDeviceFields) {
        std::string h = f.key;
        for (auto &c : h)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        right.push_back(rows[0].size());
        rows[0].push_back(std::move(h));
    }
    for (const auto &d : devices) {
        std::vector<std::string> row{std::to_string(d.netns), d.name};
        for (const auto &f : kDeviceFields)
            row.push_back(std::to_string(d.*f.delta));
        rows.push_back(std::move(row));
    }
    return "  /proc/net/dev (devices whose counters moved):\n" + render_table(rows, right, "    ");
}

std::string counters_section(const Summary &s)
{
    bool netstat = false, snmp6 = false;
    for (const auto &kv : s.counters) {
        const auto section = kv.first.substr(0, kv.first.find('.'));
        netstat = netstat || section == "TcpExt" || section == "IpExt";
        snmp6 = snmp6 || (!section.empty() && section.back() == '6') || section == "Snmp6";
    }
    std::string out = "\nKernel counters (delta, /proc/net/snmp";
    if (netstat)
        out += ", /proc/net/netstat";
    if (snmp6)
        out += ", /proc/net/snmp6";
    out += ")\n";
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    for (const auto &[k, v] : s.counters) {
        if (!counter_in_text(k, v))
            continue;
        row.push_back(k);
        row.push_back(std::to_string(v));
        if (row.size() == 6) {
            rows.push_back(std::move(row));
            row.clear();
        }
    }
    if (!row.empty())
        rows.push_back(std::move(row));
    if (rows.empty() && !s.softnet && !s.devices)
        return out + "  (not available)\n";
    if (!rows.empty())
        out += render_table(rows, {1, 3, 5}, "  ");
    if (s.softnet)
        out += softnet_line(*s.softnet);
    if (s.devices)
        out += devices_table(*s.devices);
    for (const auto &f : s.forwarding)
        out += "  forwarded in netns " + std::to_string(f.netns) +
               (f.name.empty() ? "" : " (" + f.name + ")") + ": " + std::to_string(f.tool) +
               " seen, Ip.ForwDatagrams+Ip6.OutForwDatagrams " +
               (f.kernel ? std::to_string(*f.kernel) : std::string("not read")) + "\n";
    return out;
}

std::string reconciliation_section(const Summary &s)
{
    std::string out;
    for (const auto &m : s.mismatches)
        out += "MISMATCH: " + m + "\n";
    return out.empty() ? out : "\n" + out;
}

std::string loss_line(const Summary &s)
{
    const auto &l = s.loss;
    if (!l.any() && !l.enobufs)
        return "\nloss: none\n";
    std::string out;
    auto add = [&](const std::string &x) { out += (out.empty() ? "" : ", ") + x; };
    if (l.ring)
        add("ring " + std::to_string(l.ring) + " records (per-CPU buffer full)");
    if (l.netlink || l.enobufs)
        add("netlink " + std::to_string(l.netlink) + " records" +
            (l.enobufs ? " (" + std::to_string(l.enobufs) + " ENOBUFS)" : ""));
    if (l.user)
        add("user " + std::to_string(l.user) + " records (" + std::to_string(l.malformed) +
            " malformed, " + std::to_string(l.duplicate) + " duplicate)");
    if (l.incomplete_journeys)
        add("incomplete journeys " + std::to_string(l.incomplete_journeys) +
            (l.evicted_journeys ? " (" + std::to_string(l.evicted_journeys) +
                                      " evicted by the bounds: --queued-age, --max-journeys)"
                                : std::string()));
    if (l.late)
        add("late " + std::to_string(l.late) +
            " records (after the reorder window: applied out of order" +
            (l.reorder_window_ns ? "; the window widened to " +
                                       std::to_string(l.reorder_window_ns / 1'000'000) + " ms"
                                 : std::string()) +
            ")");
    if (l.unsent)
        add("written but never sent by the kernel " + std::to_string(l.unsent));
    if (l.nmi_refused)
        add("refused in NMI context " + std::to_string(l.nmi_refused));
    if (l.probe_missed) {
        std::string by;
        for (const auto &[name, n] : l.probe_missed_by)
            by += (by.empty() ? "" : ", ") + name + " " + std::to_string(n);
        add("probe hits the kernel skipped " + std::to_string(l.probe_missed) + " (" + by +
            "; a kprobe fired while another ran on that CPU: those stages were not recorded)");
    }
    return "\nloss: " + out + "\n";
}

// Said only for the replay of a capture written before the log-linear histograms.
std::string precision_line(const Summary &s)
{
    if (s.histogram != Precision::log2)
        return "";
    return "note: this capture predates the log-linear histograms: its percentiles are "
           "interpolated in log2 buckets, as its run printed them (up to 2x off, not within 1 %)\n";
}

} // namespace

std::string verdicts_text(const Summary &s)
{
    if (!s.verdicts)
        return "";
    if (s.verdicts->empty())
        return "verdicts: nothing to fix (no drops, no loss of the tool's own)\n\n";
    std::string out = "verdicts:\n";
    int i = 0;
    for (const Verdict &v : *s.verdicts) {
        out += "  " + std::to_string(++i) + ". " + v.kind + ": " + v.subject + "\n";
        out += "     cause:    " + v.cause + "\n";
        std::string ev;
        for (auto it = v.evidence.begin(); it != v.evidence.end(); ++it) {
            if (it.value().is_object())
                continue; // (nested details: in the JSON)
            ev += (ev.empty() ? "" : ", ") + it.key() + " " + it.value().dump();
        }
        if (!ev.empty())
            out += "     evidence: " + ev + "\n";
        out += "     change:   " + v.change + "\n";
        for (const auto &c : v.caveats)
            out += "     note:     " + c + "\n";
    }
    return out + "\n";
}

std::string summary_text(const Summary &s, const TextOptions &o)
{
    std::string out = header(s, o) + precision_line(s) + sampling_section(s) + verdicts_text(s);
    if (o.mode == ReportMode::full) {
        out += latency_section(s, o);
        out += tcp_section(s, o);
        out += journeys_line(s);
        out += sockets_section(s, false);
    } else {
        out += sockets_section(s, true);
    }
    out += drops_section(s);
    out += counters_section(s);
    out += reconciliation_section(s);
    out += loss_line(s);
    return out;
}

} // namespace nsk
