#include "nsk/report.hpp"

#include "nsk/capture.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace nsk {

ojson latency_json(const Histogram &h)
{
    const auto s = h.summary();
    ojson j;
    j["count"] = s.count;
    j["p50_ns"] = s.p50_ns;
    j["p90_ns"] = s.p90_ns;
    j["p99_ns"] = s.p99_ns;
    j["p999_ns"] = s.p999_ns;
    j["max_ns"] = s.max_ns;
    auto hist = ojson::array();
    for (const auto &b : h.nonempty())
        hist.push_back(ojson::array({b.lower_ns, b.upper_ns, b.count}));
    j["hist"] = std::move(hist);
    return j;
}

namespace {

ojson journeys_json(const JourneyCounts &c, bool rx)
{
    ojson j;
    j["complete"] = c.complete;
    j["incomplete"] = c.incomplete;
    j["dropped"] = c.dropped;
    if (!rx) {
        j["consumed"] = c.consumed;
        j["partial"] = c.partial;
        j["with_sendmsg"] = c.with_sendmsg;
        j["sendmsg_without_skb"] = c.sendmsg_without_skb;
        j["reused_before_end"] = c.reused_before_end;
        j["in_flight"] = c.in_flight;
        if (c.relayed) // (absent when 0: older captures replay as they printed)
            j["relayed"] = c.relayed;
    }
    if (rx) {
        j["looped"] = c.looped;
        j["consumed"] = c.consumed;
        j["queued_at_end"] = c.queued_at_end;
        j["partial"] = c.partial;
        j["fanout_children"] = c.fanout_children;
        j["reused_before_end"] = c.reused_before_end;
        j["in_flight"] = c.in_flight;
        if (c.forwarded) // (absent when 0, as relayed)
            j["forwarded"] = c.forwarded;
        if (c.bridged)
            j["bridged"] = c.bridged;
        if (c.gro_merged)
            j["gro_merged"] = c.gro_merged;
    }
    if (c.evicted) // ended by a bound (absent when 0: older captures replay as they printed)
        j["evicted"] = c.evicted;
    if (c.tcp) {
        ojson t;
        t["journeys"] = c.tcp;
        t["segments"] = c.tcp_segments;
        t["data"] = c.tcp_data;
        t["bytes"] = c.tcp_bytes;
        if (!rx) {
            t["retransmits"] = c.tcp_retransmits;
            t["gso_children"] = c.tcp_gso_children;
        } else {
            t["data_dropped"] = c.tcp_data_dropped;
            t["duplicates"] = c.tcp_duplicates;
            if (c.tcp_late_queued) // (absent when 0: older captures replay as they printed)
                t["late_queued"] = c.tcp_late_queued;
        }
        j["tcp"] = std::move(t);
    }
    return j;
}

ojson tally_json(const Tally &t)
{
    ojson j;
    j["events"] = t.events;
    j["rx_packets"] = t.rx_packets;
    j["tx_packets"] = t.tx_packets;
    j["drops"] = t.drops;
    return j;
}

ojson governor_json(const SamplingInfo &si)
{
    if (!si.recorded)
        return nullptr; // a capture from before the governor was recorded
    ojson j;
    j["budget"] = si.budget;
    j["start_divisor"] = si.start;
    auto changes = ojson::array();
    j["changes"] = si.changes;
    j["kernel_changes"] = si.kernel_changes ? ojson(*si.kernel_changes) : ojson(nullptr);
    j["missed"] = si.missed();
    if (si.omitted) // (absent when none: as before the bound)
        j["changes_omitted"] = si.omitted;
    return j;
}

ojson estimate_json(const Estimate &e)
{
    ojson j;
    j["available"] = e.available;
    if (e.available) {
        const ojson t = tally_json(e.scaled);
        for (auto it = t.begin(); it != t.end(); ++it)
            j[it.key()] = it.value();
        j["factor"] = e.factor ? ojson(*e.factor) : ojson(nullptr);
        j["per_period"] = !e.factor;
        j["exact"] = e.exact;
    }
    j["note"] = e.note;
    return j;
}

/// {"processed", "dropped", "time_squeeze", "flow_limit" (summed over the CPUs), "cpus": [{"cpu",
/// the summed counters, then the others}]}.
ojson softnet_json(const std::vector<SoftnetDelta> &rows)
{
    ojson sn;
    for (const auto &f : kSoftnetFields)
        if (f.summed) {
            std::uint64_t total = 0;
            for (const auto &c : rows)
                total += c.*f.delta;
            sn[f.key] = total;
        }
    auto cpus = ojson::array();
    for (const auto &c : rows) {
        ojson o;
        o["cpu"] = c.cpu;
        for (const bool summed : {true, false})
            for (const auto &f : kSoftnetFields)
                if (f.summed == summed)
                    o[f.key] = c.*f.delta;
        cpus.push_back(std::move(o));
    }
    sn["cpus"] = std::move(cpus);
    return sn;
}

/// [{"netns", "name", then every counter in kDeviceFields order}] (only moved devices are in
/// the summary).
ojson devices_json(const std::vector<DeviceDelta> &rows)
{
    auto out = ojson::array();
    for (const auto &d : rows) {
        ojson o;
        o["netns"] = d.netns;
        o["name"] = d.name;
        for (const auto &f : kDeviceFields)
            o[f.key] = d.*f.delta;
        out.push_back(std::move(o));
    }
    return out;
}

/// [{"netns", "name" (when it has one), "counters": {moved ones}}], as captures write them
ojson namespaces_json(const std::vector<NetnsCounters> &rows)
{
    auto out = ojson::array();
    for (const auto &c : rows)
        out.push_back(netns_counters_json(c));
    return out;
}

/// [{"netns", "name" (when it has one), "tool", "kernel" (null: not read), "reconciled"
/// (null: not comparable, filtered or sampled)}]
ojson forwarding_json(const Summary &s)
{
    auto out = ojson::array();
    const bool comparable = !s.filters.any() && !s.sampling.sampled();
    for (const auto &f : s.forwarding) {
        ojson o;
        o["netns"] = f.netns;
        if (!f.name.empty())
            o["name"] = f.name;
        o["tool"] = f.tool;
        o["kernel"] = f.kernel ? ojson(*f.kernel) : ojson(nullptr);
        o["reconciled"] = comparable && f.kernel
                              ? ojson(*f.kernel == static_cast<std::int64_t>(f.tool))
                              : ojson(nullptr);
        out.push_back(std::move(o));
    }
    return out;
}

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

} // namespace

void to_json(ojson &o, const SocketRow &r)
{
    o = ojson::object();
    o["proto"] = r.proto;
    o["family"] = r.family;
    o["local"] = r.local;
    o["remote"] = r.remote;
    o["netns"] = r.netns;
    o["pid"] = r.pid ? ojson(*r.pid) : ojson(nullptr);
    o["pids"] = r.pids;
    o["comm"] = r.comm;
    o["sk_ino"] = r.sk_ino;
    o["rx_packets"] = r.rx_packets;
    o["tx_packets"] = r.tx_packets;
    o["dequeued"] = r.dequeued;
    o["drops"] = r.drops;
    o["drops_total"] = r.drops_total;
    o["drops_after_queue"] = r.drops_after_queue;
    o["kernel_drops_delta"] = r.kernel_drops_delta ? ojson(*r.kernel_drops_delta) : ojson(nullptr);
    o["reconciled"] = !r.mismatch;
    o["fail_queue_events"] = r.fail_queue_events;
    o["exceed_buf_events"] = r.exceed_buf_events;
    o["rcvqueue_full_events"] = r.rcvqueue_full_events;
    o["queue"] = latency_json(r.queue);
    if (r.mem.known) { // the module recorded the receive buffer (absent in older captures)
        ojson m;
        m["sk_rcvbuf"] = r.mem.rcvbuf;
        m["rmem_peak"] = r.mem.rmem_peak;
        m["offered"] = r.mem.offers;
        m["refused"] = r.mem.refused;
        m["refused_bytes"] = r.mem.refused_bytes;
        m["episodes"] = r.mem.episodes;
        o["rcvbuf"] = std::move(m);
    }
    o["tx_dropped"] = r.tx_dropped;
    o["tx"] = latency_json(r.tx);
    if (r.proto == "tcp") {
        ojson t;
        t["tx_bytes"] = r.tx_bytes;
        t["rx_bytes"] = r.rx_bytes;
        t["tx_calls"] = r.tx_calls;
        auto writers = ojson::array();
        for (const auto &[pid, w] : r.tx_by_pid)
            writers.push_back(
                {{"pid", pid}, {"comm", w.comm}, {"calls", w.calls}, {"bytes", w.bytes}});
        t["writers"] = std::move(writers);
        t["duplicates_dropped"] = r.tcp_duplicates;
        t["queued_now"] = r.queued_now;
        t["queued_oldest_ns"] = r.queued_oldest_ns;
        o["tcp"] = std::move(t);
    }
}

ojson summary_json(const Summary &s, std::string_view type, std::optional<double> interval_s)
{
    ojson j;
    j["type"] = std::string(type);
    if (interval_s)
        j["interval_s"] = round3(*interval_s);
    j["duration_s"] = round3(s.duration_s);
    j["kernel"] = s.kernel;
    j["module_version"] = s.module_version;
    j["events"] = s.events;
    // How the p*_ns below were computed: "log-linear" (within 1/128 of the exact order
    // statistic) or "log2" (the replay of a capture written before: as that run printed them).
    j["histogram"] = precision_name(s.histogram);

    ojson totals;
    totals["tx"] = latency_json(s.tx);
    totals["rx"] = latency_json(s.rx);
    totals["queue"] = latency_json(s.queue);
    totals["end_to_end"] = latency_json(s.end_to_end);
    if (s.rx_journeys.tcp || s.tx_journeys.tcp) // (keeps the JSON of UDP-only captures as it was)
        totals["rx_to_user"] = latency_json(s.rx_to_user);
    j["totals"] = std::move(totals);

    auto stages = ojson::array();
    for (const auto &st : s.stages) {
        ojson o;
        o["path"] = st.path;
        o["from"] = st.from;
        o["to"] = st.to;
        const ojson lat = latency_json(st.hist);
        for (auto it = lat.begin(); it != lat.end(); ++it)
            o[it.key()] = it.value();
        stages.push_back(std::move(o));
    }
    j["stages"] = std::move(stages);

    ojson journeys;
    journeys["tx"] = journeys_json(s.tx_journeys, false);
    journeys["rx"] = journeys_json(s.rx_journeys, true);
    if (s.reversed_stages)
        journeys["reversed_stages"] = s.reversed_stages;
    j["journeys"] = std::move(journeys);

    j["sockets"] = s.sockets;
    if (s.pruned_entries) { // (absent when nothing was pruned: as before the bound)
        ojson pr;
        pr["entries"] = s.pruned_entries;
        std::uint64_t n = 0;
        auto groups = ojson::array();
        for (const auto &r : s.sockets_pruned) {
            n += r.pruned_sockets;
            ojson g;
            g["proto"] = r.proto;
            g["family"] = r.family;
            g["netns"] = r.netns;
            g["sockets"] = r.pruned_sockets;
            g["rx_packets"] = r.rx_packets;
            g["tx_packets"] = r.tx_packets;
            g["dequeued"] = r.dequeued;
            g["drops"] = r.drops;
            g["drops_total"] = r.drops_total;
            g["drops_after_queue"] = r.drops_after_queue;
            g["tx_dropped"] = r.tx_dropped;
            g["queue"] = latency_json(r.queue);
            g["tx"] = latency_json(r.tx);
            if (r.proto == "tcp") {
                g["tx_bytes"] = r.tx_bytes;
                g["rx_bytes"] = r.rx_bytes;
            }
            groups.push_back(std::move(g));
        }
        pr["sockets"] = n;
        pr["groups"] = std::move(groups);
        j["sockets_pruned"] = std::move(pr);
    }

    auto drops = ojson::array();
    for (const auto &d : s.drops) {
        ojson o;
        o["reason"] = d.reason;
        if (d.by_location)
            o["reason_source"] = "location"; // a kernel without drop reasons: from the call site
        o["location"] = d.location;
        o["count"] = d.count;
        o["stage"] = d.stage;
        o["proto"] = d.proto;
        drops.push_back(std::move(o));
    }
    j["drops"] = std::move(drops);

    j["counters"] = s.counters;
    if (s.softnet) // only when read: captures that predate it replay as they printed
        j["softnet"] = softnet_json(*s.softnet);
    if (s.devices) // the same: absent in replays of captures that predate it
        j["devices"] = devices_json(*s.devices);
    if (!s.namespaces.empty()) // only when another namespace's counters moved
        j["namespaces"] = namespaces_json(s.namespaces);
    if (!s.forwarding.empty()) // only when some namespace forwarded
        j["forwarding"] = forwarding_json(s);

    ojson loss;
    loss["ring"] = s.loss.ring;
    loss["netlink"] = s.loss.netlink;
    loss["user"] = s.loss.user;
    loss["incomplete_journeys"] = s.loss.incomplete_journeys;
    if (s.loss.unsent) // (absent when 0: older captures replay as they printed)
        loss["unsent"] = s.loss.unsent;
    if (s.loss.nmi_refused) // (the same)
        loss["nmi_refused"] = s.loss.nmi_refused;
    if (s.loss.probe_missed_known) // (absent: a capture from before it was recorded)
        loss["probe_missed"] = s.loss.probe_missed;
    if (s.loss.probe_missed)
        loss["probe_missed_by"] = ojson(s.loss.probe_missed_by);
    if (s.loss.late) // records applied out of order (absent when 0, as before it was counted)
        loss["late"] = s.loss.late;
    j["loss"] = std::move(loss);
    ojson detail;
    detail["enobufs"] = s.loss.enobufs;
    detail["malformed"] = s.loss.malformed;
    detail["duplicate"] = s.loss.duplicate;
    detail["late"] = s.loss.late;
    if (s.loss.evicted_journeys) // ended by a bound, in incomplete_journeys (absent when 0)
        detail["evicted_journeys"] = s.loss.evicted_journeys;
    if (s.loss.proc_rows_evicted) // (absent when 0)
        detail["proc_rows_evicted"] = s.loss.proc_rows_evicted;
    if (s.loss.reorder_window_ns) { // the window widened (absent otherwise)
        detail["reorder_window_ns"] = s.loss.reorder_window_ns;
        detail["reorder_peak"] = s.loss.reorder_peak;
    }
    j["loss_detail"] = std::move(detail);

    if (s.verdicts) { // (absent in replays of captures written before verdicts)
        auto verdicts = ojson::array();
        for (const Verdict &v : *s.verdicts)
            verdicts.push_back(verdict_json(v));
        j["verdicts"] = std::move(verdicts);
    }
    j["reconciled"] = s.reconciled;
    j["mismatches"] = s.mismatches;

    j["probes_seen"] = s.probes_seen;
    j["cpus"] = s.cpus;
    j["filters"] = filters_json(s.filters);
    // Sampling and the governor: only where known (a capture from before they were recorded
    // replays exactly as it printed).
    if (s.sampling.recorded || s.sampling.sampled()) {
        j["sampled"] = s.sampling.sampled();
        j["sample_divisors"] = s.sampling.divisors();
        j["governor"] = governor_json(s.sampling);
        if (s.sampling.sampled())
            j["estimated"] = estimate_json(s.estimated);
    }
    return j;
}

} // namespace nsk
