#include "nsk/session.hpp"

#include "nsk/capture_writer.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace nsk {
namespace {

std::map<std::uint32_t, std::uint64_t> sent_map(const std::vector<CpuCounters> &cpus)
{
    std::map<std::uint32_t, std::uint64_t> m;
    for (const auto &c : cpus)
        m[c.cpu] = c.sent;
    return m;
}

} // namespace

PipelineOptions pipeline_options(const CaptureHeader &h)
{
    PipelineOptions p;
    p.reorder_window_ns = h.reorder_window_ns;
    p.idle_slack_ns = h.idle_slack_ns;
    p.correlator.age_ns = h.age_ns;
    p.correlator.sweep_ns = h.sweep_ns;
    p.correlator.socket_age_ns = h.socket_age_ns;
    p.correlator.max_sockets = std::max<std::uint64_t>(1, h.max_sockets);
    p.correlator.queued_age_ns = h.queued_age_ns;
    p.correlator.max_journeys = std::max<std::uint64_t>(1, h.max_journeys);
    return p;
}

// --- session ------------------------------------------------------------------------------------

Session::Session(CaptureHeader h, std::shared_ptr<const ProcFs> fs, SessionOutput *out)
    : h_(std::move(h)), fs_(fs ? fs : std::make_shared<ProcFs>()), reconciler_(fs_),
      pipe_(pipeline_options(h_)), out_(out)
{
    apply_header();
}

void Session::apply_header()
{
    ctx_.kernel = h_.status.kernel_release;
    ctx_.module_version = h_.status.module_version;
    ctx_.filters = h_.filters;
    ctx_.histogram = h_.histogram;
    ctx_.verdicts = h_.verdicts;
    ctx_.sysctls = h_.sysctls;
    ctx_.ring_bytes = h_.status.ring_bytes;
    ctx_.probe_names = probe_names(h_.status);
    SamplingInfo &si = ctx_.sampling;
    si.recorded = h_.governor_recorded;
    si.configured = std::max<std::uint32_t>(1, h_.filters.sample);
    // START resets the kernel's divisor to --sample (nsk_gov_start); the STATUS read after START
    // may already show the governor's first decisions (the collector can be late to ask).
    si.start = si.configured;
    si.budget = h_.status.gov_budget;
    si.t0_ns = h_.status.start_ts;
    pipe_.correlator().set_probe_names(ctx_.probe_names);
    reconciler_.set_max_rows(static_cast<std::size_t>(std::max<std::uint64_t>(1, h_.max_sockets)));
    for (const auto &c : h_.baseline)
        pipe_.decoder().seq().hint(c.cpu, c.sent);
}

std::vector<std::uint32_t> Session::reader_pids() const
{
    return pipe_.correlator().reader_pids(); // (no copy of the socket rows)
}

Summary Session::snapshot(double elapsed_s)
{
    ctx_.duration_s = elapsed_s;
    Summary s = build_summary(pipe_, ctx_);
    reconcile(s, reconciler_);
    if (ctx_.verdicts)
        s.verdicts = diagnose(s);
    return s;
}

void Session::start_proc()
{
    base_ = reconciler_.read_start();
    reconciler_.apply(base_);
}

void Session::begin(std::uint64_t t0_mono_ns, const Status *after_start, CaptureWriter *w)
{
    h_.t0_mono_ns = t0_mono_ns;
    if (after_start) {
        h_.status = *after_start;
        // START reset the kernel's counters and sequence numbers (uapi contract), so the
        // collection's baseline is zero, not this status: records written between START and
        // this read (traffic already flowing) belong to the collection and are in `events`.
        h_.baseline.clear();
        for (const auto &c : after_start->cpus) {
            CpuCounters z;
            z.cpu = c.cpu;
            h_.baseline.push_back(z);
        }
    }
    apply_header();
    last_mono_ = t0_mono_ns;
    w_ = w;
    if (w_) {
        w_->frame(FrameType::header, t0_mono_ns, header_json(h_).dump());
        w_->flush(); // the header alone in the first chunk: any cut file still has it
        w_->frame(FrameType::proc, t0_mono_ns, proc_json(base_).dump());
    }
}

void Session::batch(std::uint64_t mono_ns, std::uint32_t cpu, std::uint64_t seq,
                    std::uint32_t count, const std::uint8_t *data, std::size_t len)
{
    seen(mono_ns);
    if (w_)
        w_->batch(mono_ns, cpu, seq, count, data, len);
    pipe_.on_batch(cpu, seq, count, data, len);
}

void Session::enobufs(std::uint64_t mono_ns)
{
    seen(mono_ns);
    if (w_)
        w_->frame(FrameType::enobufs, mono_ns, nullptr, 0);
    pipe_.on_enobufs();
}

void Session::governor(std::uint64_t mono_ns, const GovernorChange &c)
{
    seen(mono_ns);
    if (w_)
        w_->frame(FrameType::governor, mono_ns, nlohmann::ordered_json(c).dump());
    if (ctx_.sampling.changes.size() >= SamplingInfo::kMaxChanges) {
        ++ctx_.sampling.omitted; // (the capture keeps every frame; the report keeps the count)
        return;
    }
    ctx_.sampling.changes.push_back(c);
    pipe_.cut(c.ts_ns);
}

void Session::probe_status(const std::vector<ProbeStatus> &probes)
{
    std::map<std::string, std::uint64_t> m;
    for (const auto &p : probes)
        if (p.missed)
            m[p.name] = p.missed;
    ctx_.probe_missed = std::move(m);
}

void Session::tick(std::uint64_t now, const std::optional<std::vector<CpuCounters>> &cpus,
                   std::optional<std::uint32_t> gov_changes, bool reader_behind)
{
    seen(now);
    pipe_.tick(now, reader_behind);
    ProcSnapshot snap = reconciler_.read_sample(reader_pids());
    if (w_) {
        const TickFrame t{now, cpus, snap, gov_changes, ctx_.probe_missed, reader_behind};
        w_->frame(FrameType::tick, now, tick_json(t).dump());
        w_->flush(); // at most one interval is lost when the collector is killed
    }
    do_tick(now, cpus, snap, gov_changes);
}

void Session::replay_tick(const TickFrame &t)
{
    if (t.probe_missed)
        ctx_.probe_missed = t.probe_missed;
    seen(t.now_ns);
    pipe_.tick(t.now_ns, t.reader_behind);
    do_tick(t.now_ns, t.cpus, t.proc, t.gov_changes);
}

void Session::do_tick(std::uint64_t now, const std::optional<std::vector<CpuCounters>> &cpus,
                      const ProcSnapshot &s, std::optional<std::uint32_t> gov_changes)
{
    reconciler_.apply(s);
    if (gov_changes)
        ctx_.sampling.kernel_changes = gov_changes;
    if (cpus)
        ctx_.cpus = cpu_delta(*cpus, h_.baseline);
    ++ticks_;
    const double elapsed =
        now > h_.t0_mono_ns ? static_cast<double>(now - h_.t0_mono_ns) / 1e9 : 0.0;
    last_ = snapshot(elapsed);
    if (out_)
        out_->interval(last_, ticks_, h_.interval_s);
}

void Session::finish(std::uint64_t stop, const std::vector<CpuCounters> &final_cpus, bool stopped,
                     std::optional<std::uint32_t> gov_changes)
{
    seen(stop);
    pipe_.finish(sent_map(final_cpus));
    const ProcSnapshot snap = reconciler_.read_sample(reader_pids());
    do_finish(stop, final_cpus, snap, stopped, gov_changes);
}

void Session::replay_finish(const EndFrame &e)
{
    if (e.probe_missed)
        ctx_.probe_missed = e.probe_missed;
    seen(e.stop_ns);
    pipe_.finish(sent_map(e.final_cpus));
    do_finish(e.stop_ns, e.final_cpus, e.proc, false, e.gov_changes);
}

void Session::do_finish(std::uint64_t stop, const std::vector<CpuCounters> &final_cpus,
                        const std::optional<ProcSnapshot> &s, bool stopped,
                        std::optional<std::uint32_t> gov_changes)
{
    if (s)
        reconciler_.apply(*s);
    if (gov_changes)
        ctx_.sampling.kernel_changes = gov_changes;
    ctx_.cpus =
        final_cpus.empty() ? std::vector<CpuCounters>{} : cpu_delta(final_cpus, h_.baseline);
    const double elapsed =
        stop > h_.t0_mono_ns ? static_cast<double>(stop - h_.t0_mono_ns) / 1e9 : 0.0;
    last_ = snapshot(elapsed);
    for (const auto &c : ctx_.cpus) // after the final drain every written record was sent
        if (c.written > c.sent)
            last_.loss.unsent += c.written - c.sent;
    finished_ = true;
    if (w_) {
        const EndFrame e{stop, stopped, final_cpus, s, gov_changes, ctx_.probe_missed, {}};
        w_->frame(FrameType::end, stop, end_json(e, last_).dump());
        w_->flush();
    }
    if (out_)
        out_->summary(last_);
}

} // namespace nsk
