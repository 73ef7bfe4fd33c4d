#include "nsk/session.hpp"

#include "nsk/screen.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

namespace nsk {
namespace {

using ojson = nlohmann::ordered_json;

std::map<std::uint32_t, std::uint64_t> sent_map(const std::vector<CpuCounters> &cpus)
{
    std::map<std::uint32_t, std::uint64_t> m;
    for (const auto &c : cpus)
        m[c.cpu] = c.sent;
    return m;
}

ojson cpus_json(const std::vector<CpuCounters> &cpus)
{
    auto a = ojson::array();
    for (const auto &c : cpus)
        a.push_back(cpu_json(c));
    return a;
}

} // namespace

PipelineOptions pipeline_options(const CaptureHeader &h)
{
    PipelineOptions p;
    p.reorder_window_ns = h.reorder_window_ns;
    p.idle_slack_ns = h.idle_slack_ns;
    p.correlator.age_ns = h.age_ns;
    p.correlator.sweep_ns = h.sweep_ns;
    return p;
}

// --- printer ------------------------------------------------------------------------------------

void Printer::interval(const Summary &s, int n, double interval_s)
{
    if (!o_.intervals)
        return;
    if (o_.json) {
        out_ << summary_json(s, "interval", interval_s).dump() << '\n';
    } else if (o_.screen) {
        ScreenOptions so;
        so.width = o_.width;
        so.height = o_.height;
        so.color = o_.color;
        so.mode = o_.mode;
        so.interval = n;
        const double dt = s.duration_s - last_elapsed_;
        so.rate = dt > 0 ? static_cast<double>(s.events - last_events_) / dt : 0;
        out_ << "\033[H\033[2J" << render_screen(s, so);
    } else {
        TextOptions t;
        t.mode = o_.mode;
        t.title = "interval " + std::to_string(n) + " (cumulative)";
        if (printed_)
            out_ << '\n';
        out_ << summary_text(s, t);
    }
    last_events_ = s.events;
    last_elapsed_ = s.duration_s;
    ++printed_;
    out_.flush();
}

void Printer::summary(const Summary &s)
{
    if (o_.json) {
        out_ << summary_json(s).dump() << '\n';
    } else {
        TextOptions t;
        t.mode = o_.mode;
        if (o_.screen && printed_)
            out_ << "\033[H\033[2J";
        else if (printed_)
            out_ << '\n';
        out_ << summary_text(s, t);
    }
    ++printed_;
    out_.flush();
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
    for (const auto &c : h_.baseline)
        pipe_.decoder().seq().hint(c.cpu, c.sent);
}

std::vector<std::uint32_t> Session::reader_pids() const
{
    std::set<std::uint32_t> pids;
    for (const auto &s : pipe_.correlator().sockets())
        pids.insert(s.pids.begin(), s.pids.end());
    return {pids.begin(), pids.end()};
}

Summary Session::snapshot(double elapsed_s)
{
    ctx_.duration_s = elapsed_s;
    Summary s = build_summary(pipe_, ctx_);
    reconcile(s, reconciler_);
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
        w_->frame(FrameType::governor, mono_ns, governor_change_json(c).dump());
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
                   std::optional<std::uint32_t> gov_changes)
{
    seen(now);
    pipe_.tick(now);
    ProcSnapshot snap = reconciler_.read_sample(reader_pids());
    if (w_) {
        ojson j;
        j["now_ns"] = now;
        if (cpus)
            j["cpus"] = cpus_json(*cpus);
        j["proc"] = proc_json(snap);
        if (gov_changes)
            j["gov_changes"] = *gov_changes;
        if (ctx_.probe_missed)
            j["probe_missed"] = ojson(*ctx_.probe_missed);
        w_->frame(FrameType::tick, now, j.dump());
        w_->flush(); // at most one interval is lost when the collector is killed
    }
    do_tick(now, cpus, snap, gov_changes);
}

void Session::replay_tick(std::uint64_t now, const std::optional<std::vector<CpuCounters>> &cpus,
                          const ProcSnapshot &s, std::optional<std::uint32_t> gov_changes)
{
    seen(now);
    pipe_.tick(now);
    do_tick(now, cpus, s, gov_changes);
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

void Session::replay_finish(std::uint64_t stop, const std::vector<CpuCounters> &final_cpus,
                            const std::optional<ProcSnapshot> &s,
                            std::optional<std::uint32_t> gov_changes)
{
    seen(stop);
    pipe_.finish(sent_map(final_cpus));
    do_finish(stop, final_cpus, s, false, gov_changes);
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
        ojson j;
        j["stop_ns"] = stop;
        j["stopped"] = stopped;
        j["final_cpus"] = cpus_json(final_cpus);
        j["proc"] = s ? proc_json(*s) : ojson(nullptr);
        if (gov_changes)
            j["gov_changes"] = *gov_changes;
        if (ctx_.probe_missed)
            j["probe_missed"] = ojson(*ctx_.probe_missed);
        const ojson sum = summary_json(last_);
        j["loss"] = sum["loss"];
        j["summary"] = sum;
        w_->frame(FrameType::end, stop, j.dump());
        w_->flush();
    }
    if (out_)
        out_->summary(last_);
}

// --- replay -------------------------------------------------------------------------------------

namespace {

std::optional<nlohmann::json> parse_json(const Frame &f)
{
    auto j = nlohmann::json::parse(f.text(), nullptr, false);
    if (j.is_discarded())
        return std::nullopt;
    return j;
}

// A tick or end frame's "probe_missed" {probe: n} (absent: STATUS unread, or an older capture).
template <typename Json>
std::optional<std::map<std::string, std::uint64_t>> probe_missed_of(const Json &j)
{
    std::map<std::string, std::uint64_t> m;
    auto it = j.find("probe_missed");
    if (it == j.end() || !it->is_object())
        return std::nullopt;
    for (auto p = it->begin(); p != it->end(); ++p)
        if (p.value().is_number_unsigned())
            m[p.key()] = p.value().template get<std::uint64_t>();
    return m;
}

template <typename Json>
std::optional<std::uint32_t> gov_changes_of(const Json &j)
{
    auto it = j.find("gov_changes");
    if (it == j.end() || !it->is_number_unsigned())
        return std::nullopt;
    return it->template get<std::uint32_t>();
}

} // namespace

Result<ReplayResult> replay(CaptureReader &reader, SessionOutput *out, const ReplayOptions &opts)
{
    ReplayResult res;
    Frame f;
    if (!reader.next(f) || f.type != FrameType::header)
        return Error{Errc::capture,
                     reader.name() + " has no readable header" +
                         (reader.problem().empty() ? "" : " (" + reader.problem() + ")"),
                     0};
    auto hj = parse_json(f);
    if (!hj)
        return Error{Errc::capture, reader.name() + " has a malformed header", 0};
    auto hdr = header_from_json(*hj);
    if (!hdr)
        return hdr.error();
    res.header = *hdr;
    if (opts.on_header)
        opts.on_header(*hdr);
    Session session(*hdr, nullptr, out);
    ++res.frames;

    using clock = std::chrono::steady_clock;
    const auto wall0 = clock::now();
    const std::uint64_t mono0 = hdr->t0_mono_ns;
    auto pace = [&](std::uint64_t mono) {
        if (opts.speed <= 0 || mono <= mono0)
            return;
        const auto due = wall0 + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                     static_cast<double>(mono - mono0) / opts.speed));
        while (clock::now() < due) {
            if (opts.should_stop && opts.should_stop())
                return;
            std::this_thread::sleep_until(
                std::min(due, clock::now() + std::chrono::milliseconds(100)));
        }
    };

    bool bad_frame = false;
    while (!session.finished() && reader.next(f)) {
        if (opts.should_stop && opts.should_stop()) {
            res.stopped_early = true;
            break;
        }
        ++res.frames;
        pace(f.mono_ns);
        switch (f.type) {
        case FrameType::batch: {
            if (f.len < 16) {
                bad_frame = true;
                break;
            }
            std::uint32_t cpu = 0, count = 0;
            std::uint64_t seq = 0;
            for (int i = 3; i >= 0; --i) {
                cpu = (cpu << 8) | f.data[i];
                count = (count << 8) | f.data[4 + i];
            }
            for (int i = 7; i >= 0; --i)
                seq = (seq << 8) | f.data[8 + i];
            session.batch(f.mono_ns, cpu, seq, count, f.data + 16, f.len - 16);
            ++res.batches;
            break;
        }
        case FrameType::enobufs:
            session.enobufs(f.mono_ns);
            break;
        case FrameType::governor:
            if (auto j = parse_json(f))
                session.governor(f.mono_ns, governor_change_from_json(*j));
            else
                bad_frame = true;
            break;
        case FrameType::proc:
            if (auto j = parse_json(f))
                session.replay_proc(proc_from_json(*j));
            else
                bad_frame = true;
            break;
        case FrameType::tick:
            if (auto j = parse_json(f)) {
                std::optional<std::vector<CpuCounters>> cpus;
                if (j->contains("cpus"))
                    cpus = cpus_from_json((*j)["cpus"]);
                if (auto pm = probe_missed_of(*j))
                    session.replay_probe_missed(std::move(pm));
                session.replay_tick(j->value("now_ns", f.mono_ns), cpus,
                                    proc_from_json(j->value("proc", nlohmann::json::object())),
                                    gov_changes_of(*j));
            } else {
                bad_frame = true;
            }
            break;
        case FrameType::end: {
            auto j = nlohmann::ordered_json::parse(f.text(), nullptr, false);
            if (j.is_discarded()) {
                bad_frame = true;
                break;
            }
            std::optional<ProcSnapshot> snap;
            if (j.contains("proc") && j["proc"].is_object())
                snap = proc_from_json(nlohmann::json::parse(j["proc"].dump()));
            const auto cpus = cpus_from_json(nlohmann::json::parse(j["final_cpus"].dump()));
            if (auto pm = probe_missed_of(j))
                session.replay_probe_missed(std::move(pm));
            session.replay_finish(j.value("stop_ns", f.mono_ns), cpus, snap, gov_changes_of(j));
            if (j.contains("summary"))
                res.recorded_summary = nlohmann::json::parse(j["summary"].dump());
            res.complete = true;
            break;
        }
        case FrameType::header:
        default:
            break; // unknown frame types are skipped (newer writers may add some)
        }
        if (bad_frame)
            break;
    }
    res.bytes = reader.offset();
    if (!res.complete) {
        res.damaged = bad_frame || reader.state() == CaptureReader::State::damaged;
        if (bad_frame)
            res.problem =
                "a frame before byte " + std::to_string(reader.offset()) + " is malformed";
        else if (res.stopped_early)
            res.problem = "the replay was interrupted";
        else if (reader.state() == CaptureReader::State::cut ||
                 reader.state() == CaptureReader::State::damaged)
            res.problem = reader.problem();
        else
            res.problem = "it ends without the trailer (the recorder was killed)";
        session.replay_finish(session.last_mono(), {}, std::nullopt, std::nullopt);
    }
    res.summary = session.last();
    return res;
}

} // namespace nsk
