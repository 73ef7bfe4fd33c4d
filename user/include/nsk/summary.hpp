// The summary model: everything a report shows, decoupled from how it was computed, so the
// renderers (text, JSON) are tested on fixed data.
#pragma once

#include "nsk/correlator.hpp"
#include "nsk/filters.hpp"
#include "nsk/histogram.hpp"
#include "nsk/pipeline.hpp"
#include "nsk/reconciler.hpp"
#include "nsk/status.hpp"
#include "nsk/verdicts.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nsk {

class Pipeline;

struct StageRow {
    std::string path, from, to;
    Histogram hist;
};

struct SocketRow {
    std::string proto;
    int family = 0; // 4 or 6
    std::string local, remote;
    std::uint32_t netns = 0;
    std::optional<std::uint32_t> pid;
    std::vector<std::uint32_t> pids;
    std::string comm;
    std::uint32_t sk_ino = 0;
    std::uint64_t rx_packets = 0;
    std::uint64_t tx_packets = 0;
    std::uint64_t dequeued = 0;
    std::map<std::string, std::uint64_t> drops;
    std::uint64_t drops_total = 0;
    std::uint64_t drops_after_queue = 0;
    std::optional<std::int64_t> kernel_drops_delta;
    std::uint64_t fail_queue_events = 0;
    std::uint64_t exceed_buf_events = 0;
    std::uint64_t rcvqueue_full_events = 0;
    Histogram queue;
    QueueMemory mem; // receive buffer, where the module recorded it
    Histogram tx; // first send stage -> driver, this socket's send journeys
    std::uint64_t tx_dropped = 0;
    bool mismatch = false;
    // TCP rows
    std::uint64_t tx_bytes = 0, rx_bytes = 0, tx_calls = 0;
    std::map<std::uint32_t, SocketStats::TaskTx> tx_by_pid;
    std::uint64_t queued_now = 0, queued_oldest_ns = 0;
    std::uint64_t tcp_duplicates = 0;
    // An aggregate row (Summary::sockets_pruned): the number of sockets folded into it.
    std::uint64_t pruned_sockets = 0;
};

struct DropRow {
    std::string reason, location, stage, proto;
    std::uint64_t count = 0;
    bool by_location = false; // reason inferred from the call site (kernel without reasons)
    std::map<std::string, std::uint64_t> targets; // destinations (DropStat::targets)
};

struct LossLedger {
    std::uint64_t ring = 0;                // records refused by full per-CPU rings (kernel)
    std::uint64_t netlink = 0;             // records missing in sequence gaps
    std::uint64_t user = 0;                // records this tool dropped (malformed, duplicate)
    std::uint64_t incomplete_journeys = 0; // journeys that never completed
    // details
    std::uint64_t enobufs = 0; // ENOBUFS episodes on the event socket (records are in netlink)
    std::uint64_t malformed = 0;
    std::uint64_t duplicate = 0;
    // Records that arrived after the reorder window (older than something already processed):
    // applied anyway, out of order, so the journeys they belong to may be counted wrong; a loss
    // of ordering, in the ledger.  The window then widened (reorder_window_ns: the widest used,
    // 0 when it never grew; reorder_peak: the most records it held).
    std::uint64_t late = 0;
    std::uint64_t reorder_window_ns = 0;
    std::uint64_t reorder_peak = 0;
    // Journeys ended as incomplete by a bound (queued too long, too many open): in
    // incomplete_journeys too.
    std::uint64_t evicted_journeys = 0;
    // /proc/net/udp rows of sockets created during the run that the reconciler let go (beyond
    // --max-sockets): their per-socket kernel delta is no longer known (shown as null).
    std::uint64_t proc_rows_evicted = 0;
    // End of collection only: records the kernel wrote into its ring but never sent (written -
    // sent per CPU after the final drain; should be 0: a kernel-side loss made visible)
    std::uint64_t unsent = 0;
    // Probe hits in NMI context the kernel refused before its ring (sum of the per-CPU
    // nmi_refused): those records were never written.
    std::uint64_t nmi_refused = 0;
    // Probe hits the kernel itself skipped (kprobe nmissed: a kprobe fired while another ran on
    // that CPU): those stages were never recorded, so per-stage counts are short by as much.
    std::uint64_t probe_missed = 0;
    bool probe_missed_known = false; // STATUS was read (absent from older captures' reports)
    std::map<std::string, std::uint64_t> probe_missed_by; // probe name -> skipped hits (> 0)
    bool any() const
    {
        return ring || netlink || user || incomplete_journeys || unsent || probe_missed || late ||
               nmi_refused;
    }
};

/// Sampling in force during the collection: the user's --sample and the overhead governor's
/// decisions (NSK_CMD_GOVERNOR), in the order received.
struct SamplingInfo {
    bool recorded = false;        // the governor's state was recorded (live; newer captures)
    std::uint32_t configured = 1; // --sample 1/N
    std::uint32_t start = 1;      // divisor at START (the kernel resets it to --sample)
    std::uint32_t budget = 0;     // governor budget, records/s per CPU (0 = off)
    std::uint64_t t0_ns = 0;      // START (kernel clock), for relative times
    std::vector<GovernorChange> changes;
    // A governor that keeps changing for weeks: at most kMaxChanges are kept (each is a
    // sampling period as well); the ones received beyond are counted here, not kept (the
    // estimate is then unavailable, and says why).
    static constexpr std::size_t kMaxChanges = 65'536;
    std::uint64_t omitted = 0;
    std::optional<std::uint32_t> kernel_changes; // decisions the kernel counted, when read
    /// The divisor of period i: `start`, then the `to` of each change.
    std::uint32_t divisor(std::size_t period) const
    {
        return period == 0 ? start : changes[period - 1].to;
    }
    /// Distinct divisors in force, in the order they came.
    std::vector<std::uint32_t> divisors() const;
    bool sampled() const;
    /// Decisions the kernel made that this tool did not receive.
    std::uint32_t missed() const
    {
        const std::uint64_t got = changes.size() + omitted;
        return kernel_changes && *kernel_changes > got
                   ? *kernel_changes - static_cast<std::uint32_t>(got)
                   : 0;
    }
};

/// Measured totals scaled up by the sampling divisor: estimates, never instead of the measured.
struct Estimate {
    bool available = false;
    std::optional<std::uint32_t> factor; // one divisor for the whole run; empty: per period
    bool exact = true;                   // every period was split where its divisor began
    Tally scaled;
    std::string note; // how it was scaled, or why there is none
};

struct Summary {
    double duration_s = 0;
    std::string kernel;
    std::string module_version;
    std::uint64_t events = 0;
    Histogram tx, rx, queue, end_to_end;
    Histogram rx_to_user; // first receive probe -> copied to user
    std::vector<StageRow> stages;
    JourneyCounts tx_journeys, rx_journeys;
    std::uint64_t reversed_stages = 0; // stage pairs whose time went backwards
    std::vector<SocketRow> sockets;
    // Sockets pruned from the table (idle, or beyond --max-sockets): one aggregate row per
    // (proto, family, netns); `sockets` plus these add up to every socket's counts.
    std::vector<SocketRow> sockets_pruned;
    std::uint64_t pruned_entries = 0; // every table entry removed (also never-reported ones)
    std::vector<DropRow> drops;
    std::map<std::string, std::int64_t> counters;     // snmp, netstat, snmp6 deltas ("Udp.NoPorts")
    std::optional<std::vector<SoftnetDelta>> softnet; // absent: softnet_stat not read
    /// /proc/net/dev deltas of the devices whose counters moved, every namespace the reconciler
    /// reads (by netns inode, then name); absent: no /proc/net/dev was read (older captures).
    std::optional<std::vector<DeviceDelta>> devices;
    /// Counter deltas of the other network namespaces the reconciler reads (those of a
    /// process, those `ip netns` names), only the counters that moved.
    std::vector<NetnsCounters> namespaces;
    /// Packets forwarded, per namespace that forwarded (IP forwarding): the tool's count beside
    /// the kernel's Ip.ForwDatagrams + Ip6.OutForwDatagrams growth there (absent: that
    /// namespace's counters were not read).  Compared only without filters and sampling.
    struct Forwarding {
        std::uint32_t netns = 0;
        std::string name;
        std::uint64_t tool = 0;
        std::optional<std::int64_t> kernel;
    };
    std::vector<Forwarding> forwarding;
    LossLedger loss;
    std::map<std::string, std::uint64_t> probes_seen;
    std::vector<CpuCounters> cpus; // deltas over the collection
    Filters filters;
    bool reconciled = true;
    std::vector<std::string> mismatches;
    SamplingInfo sampling;
    Estimate estimated; // when sampling.sampled()
    /// How the percentiles of every histogram above are computed (JSON "histogram"): log2 only
    /// for the replay of a capture written before the log-linear histograms.
    Precision histogram = Precision::log_linear;
    /// What the tool concludes (verdicts.hpp): absent in replays of captures written before
    /// verdicts existed, so they print as their run did (`diagnose` always has them).
    std::optional<std::vector<Verdict>> verdicts;
    /// Settings the verdicts size their changes against, read at the start ("net.core.rmem_max");
    /// empty when unknown (an older capture).
    std::map<std::string, std::int64_t> sysctls;
    std::uint32_t ring_bytes = 0; // the module's per-CPU ring (status), 0 unknown
};

struct SummaryContext {
    double duration_s = 0;
    std::string kernel;
    std::string module_version;
    Filters filters;
    std::vector<CpuCounters> cpus; // per-CPU deltas over the collection
    std::map<std::uint16_t, std::string> probe_names;
    SamplingInfo sampling;
    // kprobe nmissed so far, by probe (> 0); nullopt: not read (older captures)
    std::optional<std::map<std::string, std::uint64_t>> probe_missed;
    Precision histogram = Precision::log_linear; // the capture's (CaptureHeader::histogram)
    bool verdicts = true; // the capture's (CaptureHeader::verdicts)
    std::map<std::string, std::int64_t> sysctls;
    std::uint32_t ring_bytes = 0;
};

/// Scale each sampling period's measured counts by its own divisor (or say why it cannot).
Estimate estimate(const SamplingInfo &si, const std::vector<Period> &periods);

/// Snapshot of the pipeline (for intervals: cumulative so far; journeys still open are shown
/// as in_flight).
Summary build_summary(const Pipeline &p, const SummaryContext &ctx);
/// One socket's row of the summary (its kernel_drops_delta is filled by reconcile()).
SocketRow socket_row(const SocketStats &k);

/// Set the percentile precision of the summary and of every histogram in it.
void set_precision(Summary &s, Precision p);

/// Fill counters and kernel_drops_delta from the reconciler and flag mismatches.
void reconcile(Summary &s, const Reconciler &rec);

} // namespace nsk
