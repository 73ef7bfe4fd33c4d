// Session: one collection's analysis, the same for a live run and for a replayed capture.
//
//   live:   collector -> Session (reads /proc itself) -> outputs, and -> CaptureWriter
//   replay: CaptureReader -> Session (takes /proc snapshots from the file) -> outputs
//
// Every input the analysis depends on (batches, ENOBUFS, interval ticks with their clock and
// /proc snapshots, the final per-CPU counters) passes through one Session method, and that
// method is what writes the frame, so a replay makes exactly the same calls in the same order
// and prints the same summary.
#pragma once

#include "nsk/capture.hpp"
#include "nsk/pipeline.hpp"
#include "nsk/reconciler.hpp"
#include "nsk/summary.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace nsk {

/// Where interval reports and the final summary go (printer, screen, metrics, ...).
class SessionOutput {
public:
    virtual ~SessionOutput() = default;
    /// Interval n (1-based), cumulative since the start.
    virtual void interval(const Summary &s, int n, double interval_s) = 0;
    virtual void summary(const Summary &s) = 0;
};

/// Fans one report out to several outputs.
class MultiOutput : public SessionOutput {
public:
    void add(SessionOutput *o)
    {
        if (o)
            outs_.push_back(o);
    }
    void interval(const Summary &s, int n, double interval_s) override
    {
        for (auto *o : outs_)
            o->interval(s, n, interval_s);
    }
    void summary(const Summary &s) override
    {
        for (auto *o : outs_)
            o->summary(s);
    }

private:
    std::vector<SessionOutput *> outs_;
};

/// Another input a session's driver waits on beside its own (the live screen's keys and
/// resizes): `ready()` runs whenever `fd` is readable, between the driver's own work.  The
/// collector (collector.hpp) polls it with the event socket, a replay (replay.hpp) while it
/// keeps the recorded pace.
struct WaitHook {
    int fd = -1;
    std::function<void()> ready;
};

class CaptureWriter;

class Session {
public:
    /// `fs` is read by the live collector only (replays pass nullptr).
    Session(CaptureHeader h, std::shared_ptr<const ProcFs> fs, SessionOutput *out);

    /// Live: the reconciler's baseline, read before START.
    void start_proc();
    /// Live: collection started; fills the header (START status, baseline counters), applies the
    /// sequence hints and writes the header and the baseline snapshot when recording.
    void begin(std::uint64_t t0_mono_ns, const Status *after_start, CaptureWriter *w);

    void batch(std::uint64_t mono_ns, std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
               const std::uint8_t *data, std::size_t len);
    void enobufs(std::uint64_t mono_ns);
    /// The overhead governor changed the sampling divisor (NSK_CMD_GOVERNOR).
    void governor(std::uint64_t mono_ns, const GovernorChange &c);
    /// One interval: age/release in the pipeline, sample /proc, report.  `cpus`: per-CPU
    /// counters now (STATUS), if read; `gov_changes`: the governor decisions STATUS counted.
    /// `reader_behind`: the events socket still held records (Pipeline::tick); recorded.
    void tick(std::uint64_t now_mono_ns, const std::optional<std::vector<CpuCounters>> &cpus,
              std::optional<std::uint32_t> gov_changes = std::nullopt,
              bool reader_behind = false);
    /// Kprobe hits the kernel skipped so far in this collection (STATUS's per-probe `missed`;
    /// read with each tick and after STOP).  Recorded with the next tick or end frame.
    void probe_status(const std::vector<ProbeStatus> &probes);
    /// End: drain, sample /proc a last time, report the summary, write the trailer.
    void finish(std::uint64_t stop_mono_ns, const std::vector<CpuCounters> &final_cpus,
                bool stopped, std::optional<std::uint32_t> gov_changes = std::nullopt);

    // --- replay (the same steps, inputs from the file's frames) ---------------------------------
    void replay_proc(const ProcSnapshot &s) { reconciler_.apply(s); }
    void replay_tick(const TickFrame &t);
    void replay_finish(const EndFrame &e);

    const CaptureHeader &header() const { return h_; }
    const Pipeline &pipeline() const { return pipe_; }
    const Reconciler &reconciler() const { return reconciler_; }
    /// The last summary reported (interval or final).
    const Summary &last() const { return last_; }
    int intervals() const { return ticks_; }
    bool finished() const { return finished_; }
    std::uint64_t last_mono() const { return last_mono_; }

private:
    void apply_header();
    Summary snapshot(double elapsed_s);
    void do_tick(std::uint64_t now, const std::optional<std::vector<CpuCounters>> &cpus,
                 const ProcSnapshot &s, std::optional<std::uint32_t> gov_changes);
    void do_finish(std::uint64_t stop, const std::vector<CpuCounters> &final_cpus,
                   const std::optional<ProcSnapshot> &s, bool stopped,
                   std::optional<std::uint32_t> gov_changes);
    std::vector<std::uint32_t> reader_pids() const;
    void seen(std::uint64_t mono) { last_mono_ = std::max(last_mono_, mono); }

    CaptureHeader h_;
    std::shared_ptr<const ProcFs> fs_;
    Reconciler reconciler_;
    Pipeline pipe_;
    SummaryContext ctx_;
    SessionOutput *out_;
    CaptureWriter *w_ = nullptr;
    ProcSnapshot base_;
    Summary last_;
    int ticks_ = 0;
    bool finished_ = false;
    std::uint64_t last_mono_ = 0;
};

/// The pipeline options a capture was collected with.
PipelineOptions pipeline_options(const CaptureHeader &h);

} // namespace nsk
