// What NSK_CMD_STATUS returns, parsed.  Also the per-CPU counters of NSK_CMD_STOPPED.
#pragma once

#include "nsk/filters.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace nsk {

struct ProbeStatus {
    std::uint32_t id = 0;
    std::string name;
    std::uint32_t kind = 0; // enum nsk_probe_kind
    std::uint32_t path = 0; // enum nsk_path
    bool attached = false;
    std::int32_t error = 0; // -errno of the last attach attempt
    std::string target;
    std::uint64_t hits = 0;
    std::string note;
    std::uint64_t missed = 0; // kprobe hits the kernel skipped
};

struct CpuCounters {
    std::uint32_t cpu = 0;
    std::uint64_t hits = 0;
    std::uint64_t written = 0;
    std::uint64_t ring_full = 0;
    std::uint64_t netlink_fail = 0;
    std::uint64_t filtered = 0;
    std::uint64_t sampled_out = 0;
    std::uint64_t sent = 0;
    std::uint64_t batches = 0;
    // Hits in NMI context the kernel refused before its ring (NSK_CPU_ATTR_NMI_REFUSED; a
    // loss, and part of hits).  Not in kCpuCounterFields: its JSON key is written only when
    // non-zero, so captures and reports from before it replay as they printed.
    std::uint64_t nmi_refused = 0;
};

/// The per-CPU counters, described once: the JSON key (status --json, captures, reports), the
/// column of the status table, the /metrics family and its help, and the kernel's attribute
/// (NSK_CPU_ATTR_*).  Every reader and writer of CpuCounters walks this table.
struct CpuCounterField {
    const char *key;
    std::uint64_t CpuCounters::*member;
    const char *column;
    const char *metric;
    const char *help;
    int attr;
};
extern const std::array<CpuCounterField, 8> kCpuCounterFields;

/// One decision of the kernel's overhead governor (NSK_CMD_GOVERNOR).
struct GovernorChange {
    std::uint64_t ts_ns = 0;  // CLOCK_MONOTONIC
    std::uint32_t from = 1;   // effective sampling 1/from before
    std::uint32_t to = 1;     // ... and after
    std::uint64_t rate = 0;   // busiest CPU's records/s that decided
    std::uint32_t budget = 0; // records/s per CPU
};

struct Status {
    std::string module_version;
    std::uint32_t family_version = 0;
    std::uint32_t record_version = 0;
    std::string kernel_release;
    bool collecting = false;
    std::uint32_t nr_cpus = 0;
    std::uint32_t ring_bytes = 0;
    std::string clock;
    std::uint64_t start_ts = 0;
    std::uint64_t stop_ts = 0;
    std::uint32_t sample_effective = 1; // governor-adjusted sampling 1/N now
    std::uint32_t gov_budget = 0;       // records/s per CPU, 0 = governor off
    std::uint32_t gov_changes = 0;      // governor decisions in this collection
    bool drop_reasons = false;          // the kernel names drop reasons (5.17+)
    // enum nsk_state: START and STOP run asynchronously in the module.  A module without
    // NSK_ATTR_STATE reads as running/idle from `collecting`.
    std::uint8_t state = 0;
    std::int32_t start_error = 0; // -errno of the last START that failed after its ack
    std::string start_message;    // and why
    std::uint64_t collection = 0; // number of the latest START accepted since load
    std::vector<ProbeStatus> probes;
    std::vector<CpuCounters> cpus;
    Filters config;
};

/// "idle", "starting", "running", "stopping" (enum nsk_state).
const char *state_name(std::uint8_t state);

/// cpus(after) - cpus(before), per CPU, clamped at 0 (counters reset by the kernel count from 0).
std::vector<CpuCounters> cpu_delta(const std::vector<CpuCounters> &after,
                                   const std::vector<CpuCounters> &before);
/// probe id -> name, from status.
std::map<std::uint16_t, std::string> probe_names(const Status &st);

nlohmann::ordered_json status_json(const Status &st);
/// {"cpu", then kCpuCounterFields' keys}: status --json, captures (HEADER, TICK, END), reports.
void to_json(nlohmann::ordered_json &j, const CpuCounters &c);
/// Lenient: a missing or non-numeric counter reads 0.
void from_json(const nlohmann::json &j, CpuCounters &c);
/// An array of CpuCounters; anything else reads as none.
std::vector<CpuCounters> cpus_from_json(const nlohmann::json &j);
/// {"t_ns", "from", "to", "rate", "budget"}: in the report and in GOVERNOR capture frames.
void to_json(nlohmann::ordered_json &j, const GovernorChange &c);
void from_json(const nlohmann::json &j, GovernorChange &c);
std::string status_text(const Status &st);

} // namespace nsk
