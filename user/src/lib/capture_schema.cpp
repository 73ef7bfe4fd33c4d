// The JSON of the capture's frames (capture.hpp): HEADER, PROC, TICK and END, written and read
// back.  Readers are lenient (json_read.hpp): a key a newer writer added is ignored, one an
// older writer lacked reads as its default.
#include "nsk/capture.hpp"

#include "json_read.hpp"
#include "nsk/format.hpp"
#include "nsk/probes.hpp"
#include "nsk/uapi.hpp"

#include <algorithm>

namespace nsk {
namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;
using jr::num;
using jr::str;

std::optional<CounterMap> counters_from_json(const json &j, const char *key)
{
    if (!j.contains(key) || !j[key].is_object())
        return std::nullopt;
    CounterMap m;
    for (auto it = j[key].begin(); it != j[key].end(); ++it)
        if (auto v = jr::as<std::int64_t>(*it))
            m[it.key()] = *v;
    return m;
}

ojson udp_entry_json(const ProcUdpEntry &e)
{
    ojson j;
    j["inode"] = e.inode;
    j["family"] = e.family;
    j["local"] = e.local;
    j["remote"] = e.remote;
    j["drops"] = e.drops;
    return j;
}

ProcUdpEntry udp_entry_from_json(const json &u)
{
    ProcUdpEntry e;
    e.inode = num<std::uint32_t>(u, "inode");
    e.family = num<int>(u, "family", 4);
    e.local = str(u, "local");
    e.remote = str(u, "remote");
    e.drops = num<std::uint64_t>(u, "drops");
    return e;
}

/// A softnet_stat row as read: {"cpu", then every counter in kSoftnetFields order}.
ojson softnet_row_json(const SoftnetCpu &c)
{
    ojson r;
    r["cpu"] = c.cpu;
    for (const auto &f : kSoftnetFields)
        r[f.key] = c.*f.row;
    return r;
}

SoftnetCpu softnet_row_from_json(const json &r)
{
    SoftnetCpu c;
    c.cpu = num<std::uint32_t>(r, "cpu");
    for (const auto &f : kSoftnetFields)
        c.*f.row = num<std::uint32_t>(r, f.key);
    return c;
}

/// The /proc/net/dev rows of one namespace as read: {"netns", "devices": [{"name", then every
/// counter in kDeviceFields order}]}.
ojson netns_devices_json(const NetnsDevices &ns)
{
    ojson j;
    j["netns"] = ns.netns;
    auto rows = ojson::array();
    for (const auto &d : ns.devices) {
        ojson r;
        r["name"] = d.name;
        for (const auto &f : kDeviceFields)
            r[f.key] = d.*f.row;
        rows.push_back(std::move(r));
    }
    j["devices"] = std::move(rows);
    return j;
}

NetnsDevices netns_devices_from_json(const json &j)
{
    NetnsDevices ns;
    ns.netns = num<std::uint32_t>(j, "netns");
    if (j.contains("devices") && j["devices"].is_array())
        for (const auto &r : j["devices"]) {
            NetDevice d;
            d.name = str(r, "name");
            for (const auto &f : kDeviceFields)
                d.*f.row = num<std::uint64_t>(r, f.key);
            ns.devices.push_back(std::move(d));
        }
    return ns;
}

NetnsCounters netns_counters_from_json(const json &j)
{
    NetnsCounters c;
    c.netns = num<std::uint32_t>(j, "netns");
    c.name = str(j, "name");
    if (auto m = counters_from_json(j, "counters"))
        c.counters = std::move(*m);
    return c;
}

std::optional<std::map<std::string, std::uint64_t>> probe_missed_from_json(const json &j)
{
    auto it = j.find("probe_missed");
    if (it == j.end() || !it->is_object())
        return std::nullopt;
    std::map<std::string, std::uint64_t> m;
    for (auto p = it->begin(); p != it->end(); ++p)
        if (auto v = jr::as<std::uint64_t>(p.value()))
            m[p.key()] = *v;
    return m;
}

std::optional<std::uint32_t> gov_changes_from_json(const json &j)
{
    auto it = j.find("gov_changes");
    if (it == j.end())
        return std::nullopt;
    return jr::as<std::uint32_t>(*it);
}

/// The keys TICK and END share after their own: "gov_changes" and "probe_missed" when known.
void put_status_reads(ojson &j, const std::optional<std::uint32_t> &gov_changes,
                      const std::optional<std::map<std::string, std::uint64_t>> &probe_missed)
{
    if (gov_changes)
        j["gov_changes"] = *gov_changes;
    if (probe_missed)
        j["probe_missed"] = ojson(*probe_missed);
}

} // namespace

/// The counters of one other namespace: {"netns", "name" (only when it has one), "counters"}.
ojson netns_counters_json(const NetnsCounters &c)
{
    ojson j;
    j["netns"] = c.netns;
    if (!c.name.empty())
        j["name"] = c.name;
    j["counters"] = c.counters;
    return j;
}

ojson proc_json(const ProcSnapshot &s)
{
    ojson j;
    j["base"] = s.base;
    j["own_netns"] = s.own_netns ? ojson(*s.own_netns) : ojson(nullptr);
    j["snmp"] = s.snmp ? ojson(*s.snmp) : ojson(nullptr);
    // Added later: written only when read, so files stay as they were for readers that
    // predate them (and absent means "not read" to this reader).
    if (s.netstat)
        j["netstat"] = *s.netstat;
    if (s.snmp6)
        j["snmp6"] = *s.snmp6;
    if (s.softnet) {
        auto rows = ojson::array();
        for (const auto &c : *s.softnet)
            rows.push_back(softnet_row_json(c));
        j["softnet"] = std::move(rows);
    }
    if (s.devices) {
        auto nss = ojson::array();
        for (const auto &ns : *s.devices)
            nss.push_back(netns_devices_json(ns));
        j["devices"] = std::move(nss);
    }
    if (s.netns_counters) {
        auto nss = ojson::array();
        for (const auto &c : *s.netns_counters)
            nss.push_back(netns_counters_json(c));
        j["netns_counters"] = std::move(nss);
    }
    auto udp = ojson::array();
    for (const auto &e : s.udp)
        udp.push_back(udp_entry_json(e));
    j["udp"] = std::move(udp);
    return j;
}

ProcSnapshot proc_from_json(const json &j)
{
    ProcSnapshot s;
    if (!j.is_object())
        return s;
    s.base = jr::flag(j, "base");
    if (j.contains("own_netns"))
        s.own_netns = jr::as<std::uint32_t>(j["own_netns"]);
    s.snmp = counters_from_json(j, "snmp");
    s.netstat = counters_from_json(j, "netstat");
    s.snmp6 = counters_from_json(j, "snmp6");
    if (j.contains("softnet") && j["softnet"].is_array()) {
        s.softnet.emplace();
        for (const auto &r : j["softnet"])
            s.softnet->push_back(softnet_row_from_json(r));
    }
    if (j.contains("devices") && j["devices"].is_array()) {
        s.devices.emplace();
        for (const auto &ns : j["devices"])
            s.devices->push_back(netns_devices_from_json(ns));
    }
    if (j.contains("netns_counters") && j["netns_counters"].is_array()) {
        s.netns_counters.emplace();
        for (const auto &c : j["netns_counters"])
            if (c.is_object())
                s.netns_counters->push_back(netns_counters_from_json(c));
    }
    if (j.contains("udp") && j["udp"].is_array())
        for (const auto &u : j["udp"])
            s.udp.push_back(udp_entry_from_json(u));
    return s;
}

namespace {

/// A probe of the header: numeric kind and path with their names beside them, errno as a
/// number (status --json, for people, names them instead).
ojson probe_json(const ProbeStatus &p)
{
    ojson pj;
    pj["id"] = p.id;
    pj["name"] = p.name;
    pj["kind"] = p.kind;
    pj["kind_name"] = std::string(probe_kind_name(p.kind));
    pj["path"] = p.path;
    pj["path_name"] = std::string(path_name(p.path));
    pj["attached"] = p.attached;
    pj["error"] = p.error;
    pj["target"] = p.target;
    pj["note"] = p.note;
    return pj;
}

ProbeStatus probe_from_json(const json &pj)
{
    ProbeStatus p;
    p.id = num<std::uint32_t>(pj, "id");
    p.name = str(pj, "name");
    p.kind = num<std::uint32_t>(pj, "kind");
    p.path = num<std::uint32_t>(pj, "path");
    p.attached = jr::flag(pj, "attached");
    p.error = num<std::int32_t>(pj, "error");
    p.target = str(pj, "target");
    p.note = str(pj, "note");
    return p;
}

} // namespace

ojson header_json(const CaptureHeader &h)
{
    ojson j;
    j["format"] = "netstack-kmon capture";
    j["format_version"] = h.format_version;
    j["tool_version"] = h.tool_version;
    j["command"] = h.command;
    j["hostname"] = h.hostname;
    j["start_realtime_ns"] = h.start_realtime_ns;
    j["t0_mono_ns"] = h.t0_mono_ns;
    const Status &s = h.status;
    j["kernel"] = s.kernel_release;
    j["module_version"] = s.module_version;
    j["family_version"] = s.family_version;
    j["record_version"] = s.record_version;
    j["nr_cpus"] = s.nr_cpus;
    j["ring_bytes"] = s.ring_bytes;
    j["clock"] = s.clock;
    j["start_ts"] = s.start_ts;
    j["record_layout"] = {{"byte_order", "little"},
                          {"event_size", sizeof(nsk_event)},
                          {"drop_size", sizeof(nsk_drop)}};
    j["drop_locations"] = "resolved by the kernel: every drop record carries its location as "
                          "\"symbol+0xoff/0xsize\" and the reason's name; nothing else is needed "
                          "offline";
    auto probes = ojson::array();
    for (const auto &p : s.probes)
        probes.push_back(probe_json(p));
    j["probes"] = std::move(probes);
    j["baseline_cpus"] = h.baseline;
    j["filters"] = filters_json(h.filters);
    j["interval_s"] = h.interval_s;
    j["reorder_window_ns"] = h.reorder_window_ns;
    j["idle_slack_ns"] = h.idle_slack_ns;
    j["age_ns"] = h.age_ns;
    j["sweep_ns"] = h.sweep_ns;
    j["limits"] = {{"socket_age_ns", h.socket_age_ns},
                   {"max_sockets", h.max_sockets},
                   {"queued_age_ns", h.queued_age_ns},
                   {"max_journeys", h.max_journeys}};
    j["mode"] = h.mode == ReportMode::drops ? "drops" : "full";
    if (h.governor_recorded)
        j["governor"] = {{"budget", s.gov_budget}, {"sample_effective", s.sample_effective}};
    j["histogram"] = precision_name(h.histogram);
    if (h.verdicts)
        j["sysctls"] = h.sysctls;
    return j;
}

Result<CaptureHeader> header_from_json(const json &j)
{
    if (!j.is_object() || str(j, "format") != "netstack-kmon capture")
        return Error{Errc::capture, "the capture's header is not a netstack-kmon header", 0};
    CaptureHeader h;
    h.format_version = num<std::uint32_t>(j, "format_version");
    h.tool_version = str(j, "tool_version");
    h.command = str(j, "command");
    h.hostname = str(j, "hostname");
    h.start_realtime_ns = num<std::int64_t>(j, "start_realtime_ns");
    h.t0_mono_ns = num<std::uint64_t>(j, "t0_mono_ns");
    Status &s = h.status;
    s.kernel_release = str(j, "kernel");
    s.module_version = str(j, "module_version");
    s.family_version = num<std::uint32_t>(j, "family_version");
    s.record_version = num<std::uint32_t>(j, "record_version");
    s.nr_cpus = num<std::uint32_t>(j, "nr_cpus");
    s.ring_bytes = num<std::uint32_t>(j, "ring_bytes");
    s.clock = str(j, "clock");
    s.start_ts = num<std::uint64_t>(j, "start_ts");
    if (s.record_version > NSK_RECORD_VERSION)
        return Error{Errc::capture,
                     "the capture holds records of version " + std::to_string(s.record_version) +
                         ", this netstack-kmon reads version " +
                         std::to_string(NSK_RECORD_VERSION) + "; use a newer netstack-kmon",
                     0};
    if (j.contains("probes") && j["probes"].is_array())
        for (const auto &pj : j["probes"])
            s.probes.push_back(probe_from_json(pj));
    h.baseline = cpus_from_json(j.value("baseline_cpus", json::array()));
    h.filters = filters_from_json(j.value("filters", json::object()));
    s.config = h.filters;
    h.interval_s = num<double>(j, "interval_s", 1.0);
    h.reorder_window_ns = num<std::uint64_t>(j, "reorder_window_ns", h.reorder_window_ns);
    h.idle_slack_ns = num<std::uint64_t>(j, "idle_slack_ns", h.idle_slack_ns);
    h.age_ns = num<std::uint64_t>(j, "age_ns", h.age_ns);
    h.sweep_ns = num<std::uint64_t>(j, "sweep_ns", h.sweep_ns);
    if (j.contains("limits") && j["limits"].is_object()) {
        const json &l = j["limits"];
        h.socket_age_ns = num<std::uint64_t>(l, "socket_age_ns", h.socket_age_ns);
        h.max_sockets = num<std::uint64_t>(l, "max_sockets", h.max_sockets);
        h.queued_age_ns = num<std::uint64_t>(l, "queued_age_ns", h.queued_age_ns);
        h.max_journeys = num<std::uint64_t>(l, "max_journeys", h.max_journeys);
    }
    h.mode = str(j, "mode") == "drops" ? ReportMode::drops : ReportMode::full;
    h.governor_recorded = j.contains("governor") && j["governor"].is_object();
    if (h.governor_recorded) {
        s.gov_budget = num<std::uint32_t>(j["governor"], "budget");
        s.sample_effective = num<std::uint32_t>(j["governor"], "sample_effective", 1);
    }
    // Absent: written before the log-linear histograms, so its run printed log2-interpolated
    // percentiles.  A name this reader does not know is from a newer writer: the most precise
    // scheme this reader has comes closest.
    if (j.contains("histogram") && j["histogram"].is_string())
        h.histogram =
            precision_from_name(j["histogram"].get<std::string>()).value_or(Precision::log_linear);
    else
        h.histogram = Precision::log2;
    h.verdicts = j.contains("sysctls") && j["sysctls"].is_object();
    if (h.verdicts)
        for (auto it = j["sysctls"].begin(); it != j["sysctls"].end(); ++it)
            if (it.value().is_number_integer())
                h.sysctls[it.key()] = it.value().get<std::int64_t>();
    return h;
}

ojson tick_json(const TickFrame &t)
{
    ojson j;
    j["now_ns"] = t.now_ns;
    if (t.cpus)
        j["cpus"] = *t.cpus;
    j["proc"] = proc_json(t.proc);
    put_status_reads(j, t.gov_changes, t.probe_missed);
    if (t.reader_behind)
        j["reader_behind"] = true;
    return j;
}

TickFrame tick_from_json(const json &j, std::uint64_t mono_ns)
{
    TickFrame t;
    t.now_ns = num<std::uint64_t>(j, "now_ns", mono_ns);
    if (j.contains("cpus"))
        t.cpus = cpus_from_json(j["cpus"]);
    t.proc = proc_from_json(j.value("proc", json::object()));
    t.gov_changes = gov_changes_from_json(j);
    t.probe_missed = probe_missed_from_json(j);
    t.reader_behind = jr::flag(j, "reader_behind");
    return t;
}

ojson end_json(const EndFrame &e, const Summary &s)
{
    ojson j;
    j["stop_ns"] = e.stop_ns;
    j["stopped"] = e.stopped;
    j["final_cpus"] = e.final_cpus;
    j["proc"] = e.proc ? proc_json(*e.proc) : ojson(nullptr);
    put_status_reads(j, e.gov_changes, e.probe_missed);
    const ojson sum = summary_json(s);
    j["loss"] = sum["loss"];
    j["summary"] = sum;
    return j;
}

EndFrame end_from_json(const json &j, std::uint64_t mono_ns)
{
    EndFrame e;
    e.stop_ns = num<std::uint64_t>(j, "stop_ns", mono_ns);
    e.stopped = jr::flag(j, "stopped");
    if (j.contains("final_cpus"))
        e.final_cpus = cpus_from_json(j["final_cpus"]);
    if (j.contains("proc") && j["proc"].is_object())
        e.proc = proc_from_json(j["proc"]);
    e.gov_changes = gov_changes_from_json(j);
    e.probe_missed = probe_missed_from_json(j);
    if (j.contains("summary"))
        e.summary = j["summary"];
    return e;
}

} // namespace nsk
