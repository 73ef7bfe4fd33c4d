#include "nsk/metrics.hpp"

#include <cstdio>
#include <map>
#include <vector>

namespace nsk {
namespace {

const std::string P = "netstack_kmon_";

/// Exact decimal seconds from integer nanoseconds ("0.000001023", "0", "12.5").
std::string seconds(std::uint64_t ns)
{
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%llu.%09llu",
                  static_cast<unsigned long long>(ns / 1000000000ULL),
                  static_cast<unsigned long long>(ns % 1000000000ULL));
    std::string s = buf;
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

std::string fmt_double(double v)
{
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%.6f", v);
    std::string s = buf;
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

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

/// One family: metadata once, then its samples; identical label sets are summed.
class Family {
public:
    Family(std::string name, std::string type, std::string help, std::string unit = "")
        : name_(std::move(name)), type_(std::move(type)), help_(std::move(help)),
          unit_(std::move(unit))
    {}
    void add(const Labels &l, std::uint64_t v)
    {
        auto &slot = ints_[labels(l)];
        slot += v;
    }
    void set(const Labels &l, double v) { dbl_[labels(l)] = v; }
    void set_int(const Labels &l, std::int64_t v) { sints_[labels(l)] = v; }
    void histogram(const Labels &l, const Histogram &h) { hists_[labels_with(l)].merge(h); }

    std::string render() const
    {
        std::string out = "# TYPE " + P + name_ + " " + type_ + "\n";
        if (!unit_.empty())
            out += "# UNIT " + P + name_ + " " + unit_ + "\n";
        out += "# HELP " + P + name_ + " " + help_ + "\n";
        const std::string suffix = type_ == "counter" ? "_total" : type_ == "info" ? "_info" : "";
        for (const auto &[l, v] : ints_)
            out += P + name_ + suffix + l + " " + std::to_string(v) + "\n";
        for (const auto &[l, v] : sints_)
            out += P + name_ + suffix + l + " " + std::to_string(v) + "\n";
        for (const auto &[l, v] : dbl_)
            out += P + name_ + suffix + l + " " + fmt_double(v) + "\n";
        for (const auto &[key, h] : hists_)
            out += render_hist(key, h);
        return out;
    }

private:
    // Histogram label sets are kept as the inner "a=\"x\",b=\"y\"" text so le can be appended.
    static std::string labels_with(const Labels &l)
    {
        std::string s = labels(l);
        return s.empty() ? s : s.substr(1, s.size() - 2);
    }
    std::string render_hist(const std::string &inner, const Histogram &h) const
    {
        const std::string base = P + name_;
        const std::string pre = inner.empty() ? "{" : "{" + inner + ",";
        std::string out;
        std::map<int, std::uint64_t> per;
        for (const auto &b : h.nonempty())
            per[Histogram::bucket_of(b.lower_ns)] = b.count;
        // Bucket i holds [2^(i-1), 2^i) ns of integer values, i.e. <= 2^i - 1 ns.  The last
        // bucket also takes anything larger, so it is only +Inf.
        std::uint64_t cum = 0;
        for (int i = 0; i < Histogram::kBuckets - 1; ++i) {
            auto it = per.find(i);
            if (it != per.end())
                cum += it->second;
            out += base + "_bucket" + pre + "le=\"" + seconds(Histogram::bucket_upper(i) - 1) +
                   "\"} " + std::to_string(cum) + "\n";
        }
        const std::string l = inner.empty() ? "" : "{" + inner + "}";
        out += base + "_bucket" + pre + "le=\"+Inf\"} " + std::to_string(h.count()) + "\n";
        out += base + "_count" + l + " " + std::to_string(h.count()) + "\n";
        out += base + "_sum" + l + " " + seconds(h.sum()) + "\n";
        return out;
    }

    std::string name_, type_, help_, unit_;
    std::map<std::string, std::uint64_t> ints_;
    std::map<std::string, std::int64_t> sints_;
    std::map<std::string, double> dbl_;
    std::map<std::string, Histogram> hists_;
};

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

std::string render_openmetrics(const Summary &s, bool finished)
{
    std::vector<Family> fams;

    Family build("build", "info", "netstack-kmon version, kernel and module of the collection.");
    build.add(
        {{"version", NSK_VERSION}, {"kernel", s.kernel}, {"module_version", s.module_version}}, 1);
    fams.push_back(std::move(build));

    Family dur("collection_seconds", "gauge", "Seconds since the collection started.", "seconds");
    dur.set({}, s.duration_s);
    fams.push_back(std::move(dur));
    Family fin("collection_finished", "gauge", "1 once the collection ended (final numbers).");
    fin.set_int({}, finished ? 1 : 0);
    fams.push_back(std::move(fin));
    Family ev("events", "counter", "Records received from the kernel and decoded.");
    ev.add({}, s.events);
    fams.push_back(std::move(ev));

    Family stage("stage_latency_seconds", "histogram",
                 "Time a packet took between two consecutive probes of its journey.", "seconds");
    for (const auto &st : s.stages)
        stage.histogram({{"path", st.path}, {"from", st.from}, {"to", st.to}}, st.hist);
    fams.push_back(std::move(stage));
    Family path("path_latency_seconds", "histogram",
                "rx: first receive probe to socket queue; queue: socket queue to copy to user.",
                "seconds");
    path.histogram({{"path", "rx"}}, s.rx);
    path.histogram({{"path", "queue"}}, s.queue);
    fams.push_back(std::move(path));

    Family jr("journeys", "counter", "Receive journeys (one per skb per socket) by outcome.");
    const auto &j = s.rx_journeys;
    for (const auto &[k, v] :
         std::vector<std::pair<std::string, std::uint64_t>>{{"complete", j.complete},
                                                            {"dropped", j.dropped},
                                                            {"incomplete", j.incomplete},
                                                            {"consumed", j.consumed},
                                                            {"queued_at_end", j.queued_at_end}})
        jr.add({{"path", "rx"}, {"outcome", k}}, v);
    fams.push_back(std::move(jr));

    Family rx("socket_rx_packets", "counter", "Packets delivered to the socket's receive queue.");
    Family sd("socket_drops", "counter", "Packets the socket's receive queue refused, by reason.");
    Family kd("socket_kernel_drops", "counter",
              "Growth of the socket's drops column in /proc/net/udp during the collection.");
    for (const auto &r : s.sockets) {
        const Labels l = socket_labels(r);
        rx.add(l, r.rx_packets);
        for (const auto &[reason, n] : r.drops) {
            Labels lr = l;
            lr.emplace_back("reason", reason);
            sd.add(lr, n);
        }
        if (r.kernel_drops_delta && *r.kernel_drops_delta >= 0)
            kd.add(l, static_cast<std::uint64_t>(*r.kernel_drops_delta));
    }
    fams.push_back(std::move(rx));
    fams.push_back(std::move(sd));
    fams.push_back(std::move(kd));

    Family drops("drops", "counter", "Packets freed with a drop reason, by reason and location.");
    for (const auto &d : s.drops)
        drops.add({{"reason", d.reason}, {"location", d.location}, {"proto", d.proto}}, d.count);
    fams.push_back(std::move(drops));

    Family loss("loss_records", "counter",
                "Event records lost: ring (per-CPU buffer full), netlink (sequence gaps), user.");
    loss.add({{"kind", "ring"}}, s.loss.ring);
    loss.add({{"kind", "netlink"}}, s.loss.netlink);
    loss.add({{"kind", "user"}}, s.loss.user);
    fams.push_back(std::move(loss));
    Family inc("incomplete_journeys", "counter", "Journeys that never completed.");
    inc.add({}, s.loss.incomplete_journeys);
    fams.push_back(std::move(inc));
    Family enob("enobufs", "counter", "ENOBUFS episodes on the event socket.");
    enob.add({}, s.loss.enobufs);
    fams.push_back(std::move(enob));

    struct CpuField {
        const char *name, *help;
        std::uint64_t CpuCounters::*field;
    };
    const CpuField cpu_fields[] = {
        {"cpu_hits", "Probe handler invocations.", &CpuCounters::hits},
        {"cpu_written_records", "Records stored in the per-CPU ring.", &CpuCounters::written},
        {"cpu_ring_full_records", "Records refused: ring full.", &CpuCounters::ring_full},
        {"cpu_netlink_fail_records", "Records in batches netlink failed to deliver.",
         &CpuCounters::netlink_fail},
        {"cpu_filtered", "Hits rejected by the filters.", &CpuCounters::filtered},
        {"cpu_sampled_out", "Hits rejected by sampling.", &CpuCounters::sampled_out},
        {"cpu_sent_records", "Records handed to netlink.", &CpuCounters::sent},
        {"cpu_batches", "Batches sent.", &CpuCounters::batches},
    };
    for (const auto &f : cpu_fields) {
        Family fam(f.name, "counter",
                   std::string("Per-CPU kernel counter since the start: ") + f.help);
        for (const auto &c : s.cpus)
            fam.add({{"cpu", std::to_string(c.cpu)}}, c.*(f.field));
        fams.push_back(std::move(fam));
    }

    Family snmp("snmp_delta", "gauge",
                "Change of a /proc/net/snmp, netstat or snmp6 counter during the collection.");
    for (const auto &[k, v] : s.counters)
        snmp.set_int({{"counter", k}}, v);
    fams.push_back(std::move(snmp));
    if (s.softnet) {
        Family sn("softnet_delta", "gauge",
                  "Change of a per-CPU /proc/net/softnet_stat counter during the collection.");
        for (const auto &c : *s.softnet) {
            const std::string cpu = std::to_string(c.cpu);
            sn.add({{"cpu", cpu}, {"counter", "processed"}}, c.processed);
            sn.add({{"cpu", cpu}, {"counter", "dropped"}}, c.dropped);
            sn.add({{"cpu", cpu}, {"counter", "time_squeeze"}}, c.time_squeeze);
            sn.add({{"cpu", cpu}, {"counter", "flow_limit"}}, c.flow_limit);
        }
        fams.push_back(std::move(sn));
    }

    std::string out;
    for (const auto &f : fams)
        out += f.render();
    out += "# EOF\n";
    return out;
}

} // namespace nsk
