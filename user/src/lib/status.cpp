#include "nsk/status.hpp"

#include "nsk/format.hpp"
#include "nsk/probes.hpp"
#include "nsk/uapi.hpp"

#include <algorithm>

namespace nsk {

std::vector<CpuCounters> cpu_delta(const std::vector<CpuCounters> &after,
                                   const std::vector<CpuCounters> &before)
{
    std::vector<CpuCounters> out;
    for (const auto &a : after) {
        CpuCounters d = a;
        auto it = std::find_if(before.begin(), before.end(),
                               [&](const CpuCounters &b) { return b.cpu == a.cpu; });
        if (it != before.end()) {
            auto sub = [](std::uint64_t x, std::uint64_t y) { return x >= y ? x - y : x; };
            d.hits = sub(a.hits, it->hits);
            d.written = sub(a.written, it->written);
            d.ring_full = sub(a.ring_full, it->ring_full);
            d.netlink_fail = sub(a.netlink_fail, it->netlink_fail);
            d.filtered = sub(a.filtered, it->filtered);
            d.sampled_out = sub(a.sampled_out, it->sampled_out);
            d.sent = sub(a.sent, it->sent);
            d.batches = sub(a.batches, it->batches);
        }
        out.push_back(d);
    }
    return out;
}

std::map<std::uint16_t, std::string> probe_names(const Status &st)
{
    std::map<std::uint16_t, std::string> m;
    for (const auto &p : st.probes)
        if (!p.name.empty())
            m[static_cast<std::uint16_t>(p.id)] = p.name;
    return m;
}

nlohmann::ordered_json governor_change_json(const GovernorChange &c)
{
    nlohmann::ordered_json j;
    j["t_ns"] = c.ts_ns;
    j["from"] = c.from;
    j["to"] = c.to;
    j["rate"] = c.rate;
    j["budget"] = c.budget;
    return j;
}

nlohmann::ordered_json cpu_json(const CpuCounters &c)
{
    nlohmann::ordered_json j;
    j["cpu"] = c.cpu;
    j["hits"] = c.hits;
    j["written"] = c.written;
    j["ring_full"] = c.ring_full;
    j["netlink_fail"] = c.netlink_fail;
    j["filtered"] = c.filtered;
    j["sampled_out"] = c.sampled_out;
    j["sent"] = c.sent;
    j["batches"] = c.batches;
    return j;
}

nlohmann::ordered_json status_json(const Status &st)
{
    nlohmann::ordered_json j;
    j["module_loaded"] = true;
    j["module_version"] = st.module_version;
    j["family_version"] = st.family_version;
    j["record_version"] = st.record_version;
    j["kernel"] = st.kernel_release;
    j["collecting"] = st.collecting;
    j["nr_cpus"] = st.nr_cpus;
    j["ring_bytes"] = st.ring_bytes;
    j["clock"] = st.clock;
    j["drop_reasons"] = st.drop_reasons;
    auto probes = nlohmann::ordered_json::array();
    for (const auto &p : st.probes) {
        nlohmann::ordered_json pj;
        pj["id"] = p.id;
        pj["name"] = p.name;
        pj["kind"] = std::string(probe_kind_name(p.kind));
        pj["path"] = std::string(path_name(p.path));
        pj["attached"] = p.attached;
        pj["error"] = p.error ? nlohmann::ordered_json(errno_name(p.error)) : nullptr;
        pj["target"] = p.target;
        pj["hits"] = p.hits;
        pj["missed"] = p.missed;
        pj["note"] = p.note.empty() ? nullptr : nlohmann::ordered_json(p.note);
        probes.push_back(std::move(pj));
    }
    j["probes"] = std::move(probes);
    auto cpus = nlohmann::ordered_json::array();
    for (const auto &c : st.cpus)
        cpus.push_back(cpu_json(c));
    j["cpus"] = std::move(cpus);
    j["config"] = filters_json(st.config);
    j["governor"] = {{"budget", st.gov_budget},
                     {"sample_effective", st.sample_effective},
                     {"changes", st.gov_changes}};
    return j;
}

std::string status_text(const Status &st)
{
    std::string out;
    out += "netstack_kmon " + st.module_version + " on " + st.kernel_release + "  (family v" +
           std::to_string(st.family_version) + ", records v" + std::to_string(st.record_version) +
           ", clock " + (st.clock.empty() ? "?" : st.clock) + ")\n";
    out += std::string("collecting: ") + (st.collecting ? "yes" : "no") +
           "   cpus: " + std::to_string(st.nr_cpus) +
           "   ring: " + std::to_string(st.ring_bytes / 1024) + " KiB per CPU" +
           "   filters: " + filters_text(st.config) + "\n";
    out += "governor: " +
           (st.gov_budget ? "budget " + std::to_string(st.gov_budget) + " records/s per CPU" +
                                ", sampling now 1/" + std::to_string(st.sample_effective) + ", " +
                                std::to_string(st.gov_changes) + " change(s)"
                          : std::string("off")) +
           "\n\n";

    std::vector<std::vector<std::string>> rows{
        {"PROBE", "KIND", "PATH", "ATTACHED", "TARGET", "HITS", "ERROR / NOTE"}};
    for (const auto &p : st.probes) {
        std::string err = p.error ? errno_name(p.error) : "";
        if (!p.note.empty())
            err += (err.empty() ? "" : ": ") + p.note;
        rows.push_back({p.name, std::string(probe_kind_name(p.kind)),
                        std::string(path_name(p.path)), p.attached ? "yes" : "no",
                        p.target.empty() ? "-" : p.target, std::to_string(p.hits),
                        err.empty() ? "-" : err});
    }
    out += render_table(rows, {5});
    out += "\n";
    std::vector<std::vector<std::string>> crow{{"CPU", "HITS", "WRITTEN", "RING-FULL",
                                                "NETLINK-FAIL", "FILTERED", "SAMPLED-OUT", "SENT",
                                                "BATCHES"}};
    CpuCounters total;
    for (const auto &c : st.cpus) {
        crow.push_back({std::to_string(c.cpu), std::to_string(c.hits), std::to_string(c.written),
                        std::to_string(c.ring_full), std::to_string(c.netlink_fail),
                        std::to_string(c.filtered), std::to_string(c.sampled_out),
                        std::to_string(c.sent), std::to_string(c.batches)});
        total.hits += c.hits;
        total.written += c.written;
        total.ring_full += c.ring_full;
        total.netlink_fail += c.netlink_fail;
        total.filtered += c.filtered;
        total.sampled_out += c.sampled_out;
        total.sent += c.sent;
        total.batches += c.batches;
    }
    if (st.cpus.size() > 1)
        crow.push_back({"all", std::to_string(total.hits), std::to_string(total.written),
                        std::to_string(total.ring_full), std::to_string(total.netlink_fail),
                        std::to_string(total.filtered), std::to_string(total.sampled_out),
                        std::to_string(total.sent), std::to_string(total.batches)});
    out += render_table(crow, {0, 1, 2, 3, 4, 5, 6, 7, 8});
    return out;
}

} // namespace nsk
