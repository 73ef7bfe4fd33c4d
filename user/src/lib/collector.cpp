#include "nsk/collector.hpp"

#include "nsk/genl.hpp"
#include "nsk/pipeline.hpp"
#include "nsk/reconciler.hpp"
#include "nsk/summary.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <set>
#include <unistd.h>

namespace nsk {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int)
{
    g_stop = 1;
}

/// SIGINT/SIGTERM only set a flag; no SA_RESTART so poll() returns EINTR at once.
class SignalGuard {
public:
    SignalGuard()
    {
        g_stop = 0;
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGINT, &sa, &old_int_);
        sigaction(SIGTERM, &sa, &old_term_);
    }
    ~SignalGuard()
    {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    SignalGuard(const SignalGuard &) = delete;
    SignalGuard &operator=(const SignalGuard &) = delete;

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

std::uint64_t mono_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

std::vector<std::uint32_t> reader_pids(const Correlator &c)
{
    std::set<std::uint32_t> pids;
    for (const auto &s : c.sockets())
        pids.insert(s.pids.begin(), s.pids.end());
    return {pids.begin(), pids.end()};
}

std::map<std::uint32_t, std::uint64_t> sent_map(const std::vector<CpuCounters> &cpus)
{
    std::map<std::uint32_t, std::uint64_t> m;
    for (const auto &c : cpus)
        m[c.cpu] = c.sent;
    return m;
}

} // namespace

Result<void> collect(const CollectOptions &o, std::ostream &out, std::ostream &err)
{
    auto client = GenlClient::open();
    if (!client)
        return client.error();
    auto st0 = client->status();
    if (!st0)
        return st0.error();
    auto events = EventSocket::open(client->family_id());
    if (!events)
        return events.error();
    if (!events->forced() && events->rcvbuf_bytes() < (8 << 20))
        err << "netstack-kmon: note: event socket receive buffer is only "
            << events->rcvbuf_bytes() / 1024
            << " KiB (raise net.core.rmem_max); losses will show in the loss line\n";
    if (auto r = client->configure(o.filters); !r)
        return r.error();

    Reconciler rec;
    rec.start();
    SignalGuard signals;
    if (auto r = client->start(); !r)
        return r.error();
    const std::uint64_t t0 = mono_ns();

    PipelineOptions popts;
    popts.reorder_window_ns = o.reorder_window_ns;
    popts.correlator.age_ns = o.age_ns;
    Pipeline pipe(popts);
    SummaryContext ctx;
    ctx.kernel = st0->kernel_release;
    ctx.module_version = st0->module_version;
    ctx.filters = o.filters;
    ctx.probe_names = probe_names(*st0);
    pipe.correlator().set_probe_names(ctx.probe_names);

    std::vector<CpuCounters> baseline;
    if (auto st1 = client->status()) {
        baseline = st1->cpus;
        for (const auto &c : baseline)
            pipe.decoder().seq().hint(c.cpu, c.sent);
    }

    bool stopped = false;
    std::vector<CpuCounters> final_cpus;
    EventHandlers h;
    h.on_batch = [&](std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                     const std::uint8_t *data,
                     std::size_t len) { pipe.on_batch(cpu, seq, count, data, len); };
    h.on_enobufs = [&] { pipe.on_enobufs(); };
    h.on_stopped = [&](std::vector<CpuCounters> cpus) {
        stopped = true;
        final_cpus = std::move(cpus);
    };

    const bool tty = isatty(STDOUT_FILENO) && !o.json;
    auto emit = [&](bool final, double elapsed, int n) {
        ctx.duration_s = elapsed;
        Summary s = build_summary(pipe, ctx);
        reconcile(s, rec);
        if (o.json) {
            out << summary_json(s, final ? "summary" : "interval",
                                final ? std::nullopt : std::optional<double>(o.interval_s))
                       .dump()
                << '\n';
        } else {
            TextOptions t;
            t.mode = o.mode;
            t.title = final ? "summary" : "interval " + std::to_string(n) + " (cumulative)";
            if (tty && !final)
                out << "\033[H\033[2J";
            else if (n > 1 || final)
                out << '\n';
            out << summary_text(s, t);
        }
        out.flush();
    };

    // --- collect --------------------------------------------------------------------------------
    const auto interval_ns = static_cast<std::uint64_t>(std::max(0.05, o.interval_s) * 1e9);
    const std::uint64_t deadline =
        o.duration_s > 0 ? t0 + static_cast<std::uint64_t>(o.duration_s * 1e9) : UINT64_MAX;
    std::uint64_t next_tick = t0 + interval_ns;
    int ticks = 0;
    Result<void> failure;
    pollfd pfd{events->fd(), POLLIN, 0};
    while (!g_stop) {
        const std::uint64_t now = mono_ns();
        if (now >= deadline)
            break;
        if (now >= next_tick) {
            pipe.tick(now);
            rec.sample(reader_pids(pipe.correlator()));
            emit(false, static_cast<double>(now - t0) / 1e9, ++ticks);
            while (next_tick <= now)
                next_tick += interval_ns;
            continue;
        }
        const std::uint64_t wake = std::min(next_tick, deadline);
        const int timeout_ms = static_cast<int>((wake - now + 999999) / 1000000);
        const int rc = poll(&pfd, 1, timeout_ms);
        if (rc < 0 && errno != EINTR) {
            failure = Error{Errc::system, std::string("poll: ") + std::strerror(errno), errno};
            break;
        }
        if (rc > 0) {
            if (auto r = events->drain(h); !r) {
                failure = r.error();
                break;
            }
            if (stopped) // someone else stopped the collection
                break;
        }
    }
    const double elapsed = static_cast<double>(mono_ns() - t0) / 1e9;

    // --- stop: after STOP's reply, STOPPED is the last message of this collection
    // ------------------
    Result<void> stop_result = client->stop();
    const std::uint64_t stop_deadline = mono_ns() + 2'000'000'000ULL;
    while (!stopped && stop_result.ok()) {
        const std::uint64_t now = mono_ns();
        if (now >= stop_deadline)
            break;
        const int rc = poll(&pfd, 1, static_cast<int>((stop_deadline - now) / 1000000 + 1));
        if (rc > 0 && !events->drain(h).ok())
            break;
    }
    if (!stopped) {
        if (auto st = client->status())
            final_cpus = st->cpus;
        else
            err << "netstack-kmon: note: final per-CPU counters unavailable; ring losses at the"
                   " end are not counted\n";
    }
    if (!stop_result.ok())
        err << "netstack-kmon: " << stop_result.error().message << "; printing what was seen\n";

    pipe.finish(final_cpus.empty() ? std::map<std::uint32_t, std::uint64_t>{}
                                   : sent_map(final_cpus));
    rec.sample(reader_pids(pipe.correlator()));
    ctx.cpus = final_cpus.empty() ? std::vector<CpuCounters>{} : cpu_delta(final_cpus, baseline);
    emit(true, elapsed, ticks + 1);
    if (!failure.ok())
        return failure;
    return stop_result;
}

} // namespace nsk
