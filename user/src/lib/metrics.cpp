#include "nsk/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace nsk {
namespace {

const std::string P = "netstack_kmon_";

/// "12.500" -> "12.5", "3.000" -> "3" (a decimal with a point).
std::string trim_fraction(std::string s)
{
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

/// Exact decimal seconds from integer nanoseconds ("0.000001023", "0", "12.5").
std::string seconds(std::uint64_t ns)
{
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%llu.%09llu",
                  static_cast<unsigned long long>(ns / 1000000000ULL),
                  static_cast<unsigned long long>(ns % 1000000000ULL));
    return trim_fraction(buf);
}

std::string fmt_double(double v)
{
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%.6f", v);
    return trim_fraction(buf);
}

using Labels = MetricLabels;

std::string labels(const Labels &l)
{
    if (l.empty())
        return "";
    std::string out = "{";
    for (std::size_t i = 0; i < l.size(); ++i) {
        if (i)
            out += ',';
        out += l[i].first + "=\"" + escape_label(l[i].second) + "\"";
    }
    return out + "}";
}

/// Builds one family of the model: identical label sets are summed, samples come out in a
/// stable order (integers, signed, doubles, histograms; each sorted by their label text).
class Family {
public:
    Family(std::string name, MetricType type, std::string help, std::string unit = "")
        : name_(std::move(name)), type_(type), help_(std::move(help)), unit_(std::move(unit))
    {}
    void add(const Labels &l, std::uint64_t v)
    {
        auto &slot = ints_[labels(l)];
        slot.first = l;
        slot.second += v;
    }
    void set(const Labels &l, double v) { dbl_[labels(l)] = {l, v}; }
    void set_int(const Labels &l, std::int64_t v) { sints_[labels(l)] = {l, v}; }
    void histogram(const Labels &l, const Histogram &h)
    {
        auto &slot = hists_[labels(l)];
        slot.first = l;
        slot.second.merge(h);
    }

    MetricFamily done() const
    {
        MetricFamily f;
        f.name = P + name_;
        f.type = type_;
        f.unit = unit_;
        f.help = help_;
        const std::string sample = f.name + (type_ == MetricType::counter ? "_total"
                                             : type_ == MetricType::info  ? "_info"
                                                                          : "");
        for (const auto &[k, lv] : ints_)
            f.samples.push_back({sample, lv.first, std::to_string(lv.second)});
        for (const auto &[k, lv] : sints_)
            f.samples.push_back({sample, lv.first, std::to_string(lv.second)});
        for (const auto &[k, lv] : dbl_)
            f.samples.push_back({sample, lv.first, fmt_double(lv.second)});
        for (const auto &[k, lh] : hists_)
            add_hist(f, lh.first, lh.second);
        return f;
    }

private:
    static void add_hist(MetricFamily &f, const Labels &l, const Histogram &h)
    {
        std::map<int, std::uint64_t> per;
        for (const auto &b : h.nonempty())
            per[Histogram::bucket_of(b.lower_ns)] = b.count;
        const auto bucket = [&](const std::string &le, std::uint64_t n) {
            Labels with_le = l;
            with_le.emplace_back("le", le);
            f.samples.push_back({f.name + "_bucket", std::move(with_le), std::to_string(n)});
        };
        // Bucket i holds [2^(i-1), 2^i) ns of integer values, i.e. <= 2^i - 1 ns.  The last
        // bucket also takes anything larger, so it is only +Inf.
        std::uint64_t cum = 0;
        for (int i = 0; i < Histogram::kBuckets - 1; ++i) {
            auto it = per.find(i);
            if (it != per.end())
                cum += it->second;
            bucket(seconds(Histogram::bucket_upper(i) - 1), cum);
        }
        bucket("+Inf", h.count());
        f.samples.push_back({f.name + "_count", l, std::to_string(h.count())});
        f.samples.push_back({f.name + "_sum", l, seconds(h.sum())});
    }

    std::string name_;
    MetricType type_;
    std::string help_, unit_;
    std::map<std::string, std::pair<Labels, std::uint64_t>> ints_;
    std::map<std::string, std::pair<Labels, std::int64_t>> sints_;
    std::map<std::string, std::pair<Labels, double>> dbl_;
    std::map<std::string, std::pair<Labels, Histogram>> hists_;
};

const char *openmetrics_type(MetricType t)
{
    switch (t) {
    case MetricType::counter:
        return "counter";
    case MetricType::gauge:
        return "gauge";
    case MetricType::histogram:
        return "histogram";
    case MetricType::info:
        return "info";
    case MetricType::unknown:
        break;
    }
    return "unknown";
}

/// The classic text format knows counter, gauge, histogram, summary and untyped.
const char *text_type(MetricType t)
{
    switch (t) {
    case MetricType::counter:
        return "counter";
    case MetricType::gauge:
    case MetricType::info: // NAME_info 1, as the client libraries write an info metric
        return "gauge";
    case MetricType::histogram:
        return "histogram";
    case MetricType::unknown:
        break;
    }
    return "untyped";
}

/// HELP text escaping: \\ and \n in both formats, \" in OpenMetrics only.
std::string escape_help(const std::string &v, bool openmetrics)
{
    std::string out;
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && openmetrics)
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

/// The series of the sockets beyond the top N (and of the pruned ones), per protocol.
Labels other_labels(const SocketRow &r)
{
    return {{"proto", r.proto}, {"local", "other"}, {"remote", "other"},
            {"netns", ""},      {"pid", ""},        {"comm", ""}};
}

/// Rows that get their own series: the `top` most active (packets in + out + drops; ties in
/// the summary's order).  Linear plus a partial sort of the indices.
std::vector<bool> top_rows(const std::vector<SocketRow> &rows, std::size_t top)
{
    std::vector<bool> keep(rows.size(), rows.size() <= top);
    if (rows.size() <= top)
        return keep;
    std::vector<std::size_t> idx(rows.size());
    for (std::size_t i = 0; i < idx.size(); ++i)
        idx[i] = i;
    auto activity = [&](std::size_t i) {
        return rows[i].rx_packets + rows[i].tx_packets + rows[i].drops_total;
    };
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(top), idx.end(),
                      [&](std::size_t a, std::size_t b) {
                          const auto x = activity(a), y = activity(b);
                          return x != y ? x > y : a < b;
                      });
    for (std::size_t i = 0; i < top; ++i)
        keep[idx[i]] = true;
    return keep;
}

Labels socket_labels(const SocketRow &r)
{
    return {{"proto", r.proto},
            {"local", r.local},
            {"remote", r.remote},
            {"netns", std::to_string(r.netns)},
            {"pid", r.pid ? std::to_string(*r.pid) : ""},
            {"comm", r.comm}};
}

} // namespace

std::string escape_label(const std::string &v)
{
    std::string out;
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

MetricSet build_metrics(const Summary &s, bool finished, std::size_t top_sockets)
{
    std::vector<Family> fams;

    Family build("build", MetricType::info,
                 "netstack-kmon version, kernel and module of the collection.");
    build.add(
        {{"version", NSK_VERSION}, {"kernel", s.kernel}, {"module_version", s.module_version}}, 1);
    fams.push_back(std::move(build));

    Family dur("collection_seconds", MetricType::gauge, "Seconds since the collection started.",
               "seconds");
    dur.set({}, s.duration_s);
    fams.push_back(std::move(dur));
    Family fin("collection_finished", MetricType::gauge,
               "1 once the collection ended (final numbers).");
    fin.set_int({}, finished ? 1 : 0);
    fams.push_back(std::move(fin));
    Family ev("events", MetricType::counter, "Records received from the kernel and decoded.");
    ev.add({}, s.events);
    fams.push_back(std::move(ev));

    Family stage("stage_latency_seconds", MetricType::histogram,
                 "Time a packet took between two consecutive probes of its journey.", "seconds");
    for (const auto &st : s.stages)
        stage.histogram({{"path", st.path}, {"from", st.from}, {"to", st.to}}, st.hist);
    fams.push_back(std::move(stage));
    Family path("path_latency_seconds", MetricType::histogram,
                "rx: first receive probe to socket queue; queue: socket queue to copy to user; "
                "tx: sendmsg to driver; end_to_end: loopback sendmsg to recvmsg.",
                "seconds");
    path.histogram({{"path", "rx"}}, s.rx);
    path.histogram({{"path", "queue"}}, s.queue);
    path.histogram({{"path", "tx"}}, s.tx);
    path.histogram({{"path", "end_to_end"}}, s.end_to_end);
    fams.push_back(std::move(path));

    Family jr("journeys", MetricType::counter,
              "Receive journeys (one per skb per socket) by outcome.");
    const auto &j = s.rx_journeys;
    for (const auto &[k, v] :
         std::vector<std::pair<std::string, std::uint64_t>>{{"complete", j.complete},
                                                            {"dropped", j.dropped},
                                                            {"incomplete", j.incomplete},
                                                            {"consumed", j.consumed},
                                                            {"queued_at_end", j.queued_at_end}})
        jr.add({{"path", "rx"}, {"outcome", k}}, v);
    fams.push_back(std::move(jr));

    Family rx("socket_rx_packets", MetricType::counter,
              "Packets delivered to the socket's receive queue.");
    Family sd("socket_drops", MetricType::counter,
              "Packets the socket's receive queue refused, by reason.");
    Family kd("socket_kernel_drops", MetricType::counter,
              "Growth of the socket's drops column in /proc/net/udp during the collection.");
    Family series("socket_series_other", MetricType::gauge,
                  "Sockets summed into the local=\"other\" series: beyond the most active "
                  "(--metrics-top-sockets), or pruned from the tool's socket table.");
    const std::vector<bool> own = top_rows(s.sockets, top_sockets);
    std::map<std::string, std::uint64_t> others; // by proto
    auto add_row = [&](const SocketRow &r, const Labels &l) {
        rx.add(l, r.rx_packets);
        for (const auto &[reason, n] : r.drops) {
            Labels lr = l;
            lr.emplace_back("reason", reason);
            sd.add(lr, n);
        }
        if (r.kernel_drops_delta && *r.kernel_drops_delta >= 0)
            kd.add(l, static_cast<std::uint64_t>(*r.kernel_drops_delta));
    };
    for (std::size_t i = 0; i < s.sockets.size(); ++i) {
        const SocketRow &r = s.sockets[i];
        add_row(r, own[i] ? socket_labels(r) : other_labels(r));
        if (!own[i])
            ++others[r.proto];
    }
    for (const auto &r : s.sockets_pruned) {
        add_row(r, other_labels(r));
        others[r.proto] += r.pruned_sockets;
    }
    for (const auto &[proto, n] : others)
        series.set_int({{"proto", proto}}, static_cast<std::int64_t>(n));
    fams.push_back(std::move(rx));
    fams.push_back(std::move(sd));
    fams.push_back(std::move(kd));
    if (!others.empty()) // (absent while every socket has its own series)
        fams.push_back(std::move(series));

    Family drops("drops", MetricType::counter,
                 "Packets freed with a drop reason, by reason and location.");
    for (const auto &d : s.drops)
        drops.add({{"reason", d.reason}, {"location", d.location}, {"proto", d.proto}}, d.count);
    fams.push_back(std::move(drops));

    Family loss("loss_records", MetricType::counter,
                "Event records lost: ring (per-CPU buffer full), netlink (sequence gaps), user.");
    loss.add({{"kind", "ring"}}, s.loss.ring);
    loss.add({{"kind", "netlink"}}, s.loss.netlink);
    loss.add({{"kind", "user"}}, s.loss.user);
    if (s.loss.nmi_refused) // (a series only when it happened: it should never)
        loss.add({{"kind", "nmi_refused"}}, s.loss.nmi_refused);
    fams.push_back(std::move(loss));
    Family inc("incomplete_journeys", MetricType::counter, "Journeys that never completed.");
    inc.add({}, s.loss.incomplete_journeys);
    fams.push_back(std::move(inc));
    Family enob("enobufs", MetricType::counter, "ENOBUFS episodes on the event socket.");
    enob.add({}, s.loss.enobufs);
    fams.push_back(std::move(enob));

    for (const auto &f : kCpuCounterFields) {
        Family fam(f.metric, MetricType::counter,
                   std::string("Per-CPU kernel counter since the start: ") + f.help);
        for (const auto &c : s.cpus)
            fam.add({{"cpu", std::to_string(c.cpu)}}, c.*f.member);
        fams.push_back(std::move(fam));
    }

    Family snmp("snmp_delta", MetricType::gauge,
                "Change of a /proc/net/snmp, netstat or snmp6 counter during the collection.");
    for (const auto &[k, v] : s.counters)
        snmp.set_int({{"counter", k}}, v);
    fams.push_back(std::move(snmp));
    if (s.softnet) {
        Family sn("softnet_delta", MetricType::gauge,
                  "Change of a per-CPU /proc/net/softnet_stat counter during the collection.");
        for (const auto &c : *s.softnet) {
            const std::string cpu = std::to_string(c.cpu);
            for (const auto &f : kSoftnetFields)
                if (f.summed)
                    sn.add({{"cpu", cpu}, {"counter", f.key}}, c.*f.delta);
        }
        fams.push_back(std::move(sn));
    }
    if (s.devices) {
        // Bounded by what moved: the summary holds only the devices whose counters did.
        Family dev("device_delta", MetricType::gauge,
                   "Change of a /proc/net/dev counter of a device during the collection.");
        for (const auto &d : *s.devices) {
            const std::string ns = std::to_string(d.netns);
            for (const auto &f : kDeviceFields)
                dev.add({{"netns", ns}, {"device", d.name}, {"counter", f.key}}, d.*f.delta);
        }
        fams.push_back(std::move(dev));
    }

    MetricSet m;
    m.families.reserve(fams.size());
    for (const auto &f : fams)
        m.families.push_back(f.done());
    return m;
}

std::string render(const MetricSet &m, ExpositionFormat f)
{
    const bool om = f == ExpositionFormat::openmetrics;
    std::string out;
    for (const auto &fam : m.families) {
        if (om) {
            out += "# TYPE " + fam.name + " " + openmetrics_type(fam.type) + "\n";
            if (!fam.unit.empty())
                out += "# UNIT " + fam.name + " " + fam.unit + "\n";
            out += "# HELP " + fam.name + " " + escape_help(fam.help, true) + "\n";
        } else {
            // The text format names a family as its samples are named.
            const std::string name = fam.name + (fam.type == MetricType::counter ? "_total"
                                                 : fam.type == MetricType::info  ? "_info"
                                                                                 : "");
            out += "# HELP " + name + " " + escape_help(fam.help, false) + "\n";
            out += "# TYPE " + name + " " + text_type(fam.type) + "\n";
        }
        for (const auto &smp : fam.samples)
            out += smp.name + labels(smp.labels) + " " + smp.value + "\n";
    }
    if (om)
        out += "# EOF\n";
    return out;
}

std::string render_openmetrics(const Summary &s, bool finished)
{
    return render(build_metrics(s, finished), ExpositionFormat::openmetrics);
}

std::string render_text(const Summary &s, bool finished)
{
    return render(build_metrics(s, finished), ExpositionFormat::text);
}

} // namespace nsk
