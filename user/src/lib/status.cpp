#include "nsk/status.hpp"

#include "json_read.hpp"
#include "nsk/format.hpp"
#include "nsk/probes.hpp"
#include "nsk/uapi.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace nsk {

const std::array<CpuCounterField, 8> kCpuCounterFields = {{
    {"hits", &CpuCounters::hits, "HITS", "cpu_hits", "Probe handler invocations.",
     NSK_CPU_ATTR_HITS},
    {"written", &CpuCounters::written, "WRITTEN", "cpu_written_records",
     "Records stored in the per-CPU ring.", NSK_CPU_ATTR_WRITTEN},
    {"ring_full", &CpuCounters::ring_full, "RING-FULL", "cpu_ring_full_records",
     "Records refused: ring full.", NSK_CPU_ATTR_RING_FULL},
    {"netlink_fail", &CpuCounters::netlink_fail, "NETLINK-FAIL", "cpu_netlink_fail_records",
     "Records in batches netlink failed to deliver.", NSK_CPU_ATTR_NETLINK_FAIL},
    {"filtered", &CpuCounters::filtered, "FILTERED", "cpu_filtered",
     "Hits rejected by the filters.", NSK_CPU_ATTR_FILTERED},
    {"sampled_out", &CpuCounters::sampled_out, "SAMPLED-OUT", "cpu_sampled_out",
     "Hits rejected by sampling.", NSK_CPU_ATTR_SAMPLED_OUT},
    {"sent", &CpuCounters::sent, "SENT", "cpu_sent_records", "Records handed to netlink.",
     NSK_CPU_ATTR_SENT},
    {"batches", &CpuCounters::batches, "BATCHES", "cpu_batches", "Batches sent.",
     NSK_CPU_ATTR_BATCHES},
}};

const char *state_name(std::uint8_t state)
{
    switch (state) {
    case NSK_STATE_IDLE:
        return "idle";
    case NSK_STATE_STARTING:
        return "starting";
    case NSK_STATE_RUNNING:
        return "running";
    case NSK_STATE_STOPPING:
        return "stopping";
    default:
        return "unknown";
    }
}

std::vector<CpuCounters> cpu_delta(const std::vector<CpuCounters> &after,
                                   const std::vector<CpuCounters> &before)
{
    std::vector<CpuCounters> out;
    for (const auto &a : after) {
        CpuCounters d = a;
        auto it = std::find_if(before.begin(), before.end(),
                               [&](const CpuCounters &b) { return b.cpu == a.cpu; });
        if (it != before.end())
            for (const auto &f : kCpuCounterFields) {
                const std::uint64_t x = a.*f.member, y = (*it).*f.member;
                d.*f.member = x >= y ? x - y : x;
            }
        if (it != before.end())
            d.nmi_refused =
                a.nmi_refused >= it->nmi_refused ? a.nmi_refused - it->nmi_refused : a.nmi_refused;
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

void to_json(nlohmann::ordered_json &j, const GovernorChange &c)
{
    j = nlohmann::ordered_json::object();
    j["t_ns"] = c.ts_ns;
    j["from"] = c.from;
    j["to"] = c.to;
    j["rate"] = c.rate;
    j["budget"] = c.budget;
}

void from_json(const nlohmann::json &j, GovernorChange &c)
{
    c.ts_ns = jr::num<std::uint64_t>(j, "t_ns");
    c.from = jr::num<std::uint32_t>(j, "from", 1);
    c.to = jr::num<std::uint32_t>(j, "to", 1);
    c.rate = jr::num<std::uint64_t>(j, "rate");
    c.budget = jr::num<std::uint32_t>(j, "budget");
}

void to_json(nlohmann::ordered_json &j, const CpuCounters &c)
{
    j = nlohmann::ordered_json::object();
    j["cpu"] = c.cpu;
    for (const auto &f : kCpuCounterFields)
        j[f.key] = c.*f.member;
    if (c.nmi_refused)
        j["nmi_refused"] = c.nmi_refused;
}

void from_json(const nlohmann::json &j, CpuCounters &c)
{
    c.cpu = jr::num<std::uint32_t>(j, "cpu");
    for (const auto &f : kCpuCounterFields)
        c.*f.member = jr::num<std::uint64_t>(j, f.key);
    c.nmi_refused = jr::num<std::uint64_t>(j, "nmi_refused");
}

std::vector<CpuCounters> cpus_from_json(const nlohmann::json &j)
{
    std::vector<CpuCounters> out;
    if (!j.is_array())
        return out;
    for (const auto &c : j)
        out.push_back(c.get<CpuCounters>());
    return out;
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
    j["state"] = state_name(st.state);
    j["collection"] = st.collection;
    if (st.start_error)
        j["start_error"] = {{"error", errno_name(st.start_error)},
                            {"code", st.start_error},
                            {"message", st.start_message}};
    else
        j["start_error"] = nullptr;
    std::uint64_t nmi = 0;
    for (const auto &c : st.cpus)
        nmi += c.nmi_refused;
    j["nmi_refused"] = nmi;
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
    j["cpus"] = nlohmann::ordered_json(st.cpus);
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
           (st.state != NSK_STATE_IDLE && st.state != NSK_STATE_RUNNING
                ? std::string(" (") + state_name(st.state) + ")"
                : std::string()) +
           "   cpus: " + std::to_string(st.nr_cpus) +
           "   ring: " + std::to_string(st.ring_bytes / 1024) + " KiB per CPU" +
           "   filters: " + filters_text(st.config) + "\n";
    out += "governor: " +
           (st.gov_budget ? "budget " + std::to_string(st.gov_budget) + " records/s per CPU" +
                                ", sampling now 1/" + std::to_string(st.sample_effective) + ", " +
                                std::to_string(st.gov_changes) + " change(s)"
                          : std::string("off")) +
           "\n";
    if (st.start_error)
        out += "last start failed: " + errno_name(st.start_error) +
               (st.start_message.empty() ? "" : ": " + st.start_message) + "\n";
    std::uint64_t nmi = 0;
    for (const auto &c : st.cpus)
        nmi += c.nmi_refused;
    if (nmi)
        out += "refused in NMI context: " + std::to_string(nmi) + " hits\n";
    out += "\n";

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
    std::vector<std::string> head{"CPU"};
    for (const auto &f : kCpuCounterFields)
        head.push_back(f.column);
    std::vector<std::vector<std::string>> crow{head};
    auto row = [](std::string cpu, const CpuCounters &c) {
        std::vector<std::string> r{std::move(cpu)};
        for (const auto &f : kCpuCounterFields)
            r.push_back(std::to_string(c.*f.member));
        return r;
    };
    CpuCounters total;
    for (const auto &c : st.cpus) {
        crow.push_back(row(std::to_string(c.cpu), c));
        for (const auto &f : kCpuCounterFields)
            total.*f.member += c.*f.member;
    }
    if (st.cpus.size() > 1)
        crow.push_back(row("all", total));
    out += render_table(crow, {0, 1, 2, 3, 4, 5, 6, 7, 8});
    return out;
}

} // namespace nsk
