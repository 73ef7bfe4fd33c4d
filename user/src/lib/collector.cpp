#include "nsk/collector.hpp"
#include "nsk/final_read.hpp"

#include "nsk/genl.hpp"
#include "nsk/pipeline.hpp"
#include "nsk/reconciler.hpp"
#include "nsk/summary.hpp"
#include "nsk/uapi.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <unistd.h>

namespace nsk {
namespace {

// Stop signals received: the first ends the collection (STOP, then the kernel's final drain is
// read), a second one gives up on reading that drain.
volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int)
{
    if (g_stop < 2)
        g_stop = g_stop + 1;
}

std::int64_t realtime_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string hostname()
{
    char buf[256] = {};
    if (gethostname(buf, sizeof(buf) - 1) != 0)
        return "";
    return buf;
}

} // namespace

std::uint64_t mono_now_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
           static_cast<std::uint64_t>(ts.tv_nsec);
}

bool stop_requested()
{
    return g_stop != 0;
}

void request_stop()
{
    if (g_stop == 0)
        g_stop = 1;
}

StopSignals::StopSignals()
{
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
}

StopSignals::~StopSignals()
{
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
}

Result<void> collect(const CollectOptions &o, SessionOutput &out, std::ostream &err)
{
    auto client = GenlClient::open();
    if (!client)
        return client.error();
    auto st0 = client->status();
    if (!st0)
        return st0.error();
    if (auto v = check_versions(*st0); !v) // before anything is configured or started
        return v.error();
    auto events = EventSocket::open(client->family_id());
    if (!events)
        return events.error();
    if (!events->forced() && events->rcvbuf_bytes() < (8 << 20))
        err << "netstack-kmon: note: event socket receive buffer is only "
            << events->rcvbuf_bytes() / 1024
            << " KiB (raise net.core.rmem_max); losses will show in the loss line\n";
    if (auto r = client->configure(o.filters); !r)
        return r.error();
    std::unique_ptr<CaptureWriter> writer; // after CONFIG: a busy module leaves the file alone
    if (!o.record_path.empty()) {
        auto w = CaptureWriter::create(o.record_path, o.capture);
        if (!w)
            return w.error();
        writer = std::move(*w);
    }

    CaptureHeader hdr;
    hdr.tool_version = NSK_VERSION;
    hdr.command = o.command;
    hdr.hostname = hostname();
    hdr.status = *st0;
    hdr.filters = o.filters;
    hdr.interval_s = o.interval_s;
    hdr.reorder_window_ns = o.reorder_window_ns;
    hdr.age_ns = o.age_ns;
    hdr.socket_age_ns = o.socket_age_ns;
    hdr.max_sockets = o.max_sockets;
    hdr.queued_age_ns = o.queued_age_ns;
    hdr.max_journeys = o.max_journeys;
    hdr.mode = o.mode;
    hdr.sysctls = read_sysctls(ProcFs{});
    hdr.start_realtime_ns = realtime_ns(); // ~ START, for people
    Session session(hdr, std::make_shared<ProcFs>(), &out);
    session.start_proc();

    StopSignals signals;
    if (auto r = client->start(); !r)
        return r.error();
    const std::uint64_t t0 = mono_now_ns();
    std::optional<std::uint64_t> collection; // this collection's number (module's count)
    {
        auto st1 = client->status();
        if (st1 && st1->collection)
            collection = st1->collection;
        session.begin(t0, st1 ? &*st1 : nullptr, writer.get());
    }
    if (writer)
        err << "netstack-kmon: recording to " << writer->name()
            << (o.duration_s > 0 ? "" : "; stop with Ctrl-C") << std::endl;

    bool stopped = false;
    std::vector<CpuCounters> final_cpus;
    EventHandlers h;
    h.on_batch = [&](std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
                     const std::uint8_t *data,
                     std::size_t len) { session.batch(mono_now_ns(), cpu, seq, count, data, len); };
    h.on_enobufs = [&] { session.enobufs(mono_now_ns()); };
    h.on_governor = [&](const GovernorChange &c) { session.governor(mono_now_ns(), c); };
    h.on_stopped = [&](std::vector<CpuCounters> cpus) {
        stopped = true;
        final_cpus = std::move(cpus);
    };

    // --- collect --------------------------------------------------------------------------------
    const auto interval_ns = static_cast<std::uint64_t>(std::max(0.05, o.interval_s) * 1e9);
    const std::uint64_t deadline =
        o.duration_s > 0 ? t0 + static_cast<std::uint64_t>(o.duration_s * 1e9) : UINT64_MAX;
    std::uint64_t next_tick = t0 + interval_ns;
    Result<void> failure;
    pollfd pfd[2] = {{events->fd(), POLLIN, 0}, {o.wake.fd, POLLIN, 0}};
    const nfds_t nfds = o.wake.fd >= 0 && o.wake.ready ? 2 : 1;
    while (!g_stop) {
        if (writer && !writer->ok()) {
            failure = writer->error();
            break;
        }
        const std::uint64_t now = mono_now_ns();
        if (now >= deadline)
            break;
        if (now >= next_tick) {
            std::optional<std::vector<CpuCounters>> cpus;
            std::optional<std::uint32_t> gov_changes;
            if (auto st = client->status()) {
                cpus = st->cpus;
                gov_changes = st->gov_changes;
                session.probe_status(st->probes);
            }
            // Records still waiting in the events socket are older than `now`: the tick's
            // wall-clock release must not pass them (they would all be "late"; a collector
            // that lags its socket on a loaded or emulated box turned its read lag into late
            // records, issue 16, scenario 51 on the debug kernel).
            pollfd behind{events->fd(), POLLIN, 0};
            const bool reader_behind = poll(&behind, 1, 0) > 0 && (behind.revents & POLLIN);
            session.tick(now, cpus, gov_changes, reader_behind);
            // The next tick is due an interval after this one *ended*, and at least half an
            // interval of reading comes first: a tick slower than the interval (its /proc and
            // STATUS reads take seconds on a loaded or emulated debug kernel) used to start the
            // next one at once, tick after tick, and the events socket was never read again —
            // after an rmmod the tool never reached STOPPED (issue 16, scenario 49 part 3).
            const std::uint64_t done = mono_now_ns();
            while (next_tick <= done)
                next_tick += interval_ns;
            next_tick = std::max(next_tick, done + interval_ns / 2);
            continue;
        }
        const std::uint64_t wake = std::min(next_tick, deadline);
        const int timeout_ms = static_cast<int>((wake - now + 999999) / 1000000);
        const int rc = poll(pfd, nfds, timeout_ms);
        if (rc < 0 && errno != EINTR) {
            failure = Error{Errc::system, std::string("poll: ") + std::strerror(errno), errno};
            break;
        }
        if (rc > 0 && nfds > 1 && pfd[1].revents)
            o.wake.ready();
        if (rc > 0 && pfd[0].revents) {
            // bounded: a reader slower than the kernel must still see signals and ticks
            if (auto r = events->drain(h); !r) {
                failure = r.error();
                break;
            }
            if (stopped) // someone else stopped the collection
                break;
        }
    }
    const std::uint64_t stop_mono = mono_now_ns();

    // --- stop: after STOP's reply, STOPPED is the last message of this collection -------------
    // What is queued on the socket and the kernel's final drain are read to the end: the probes
    // are detached, so it is finite.  Given up (and what was not read counted as lost) when it
    // stops making progress, or on a second signal (FinalRead).
    Result<void> stop_result = client->stop();
    std::optional<std::vector<CpuCounters>> idle_cpus; // the final counters, once idle
    // The module answers STOP at once and stops in its own work (detach, RCU waits, the final
    // drain, STOPPED, then idle): read the events meanwhile (until STOPPED) and ask STATUS
    // every few tens of ms until the module is idle (or runs a newer collection), so that a
    // START right after this tool exits is not refused as "still stopping"; bounded like a
    // request (30 s).  A second signal stops the reading, not the wait: the final per-CPU
    // counters (read below) are final only once the module is idle, and what was not read is
    // then counted as lost from them.  A module that stops synchronously is idle at the first
    // STATUS.
    if (stop_result.ok()) {
        const std::uint64_t give_up =
            mono_now_ns() + static_cast<std::uint64_t>(client->timeout_ms()) * 1'000'000ULL;
        std::uint64_t next_status = 0;
        for (;;) {
            const std::uint64_t now = mono_now_ns();
            if (now >= give_up) {
                stop_result = Error{
                    Errc::timeout,
                    "stop: the netstack_kmon module did not finish stopping within " +
                        std::to_string(client->timeout_ms() / 1000) + " s (is it stuck? see dmesg)",
                    ETIMEDOUT};
                break;
            }
            if (now >= next_status) {
                auto st = client->status();
                if (!st && st.error().sys_errno == EINTR)
                    continue; // the second signal: ask again
                if (!st) {
                    stop_result = st.error();
                    break;
                }
                if (st->state == NSK_STATE_IDLE || (collection && st->collection != *collection)) {
                    if (st->state == NSK_STATE_IDLE)
                        idle_cpus = st->cpus;
                    break; // STOPPED was sent before: the loop below reads it
                }
                next_status = now + GenlClient::kStatePollMs * 1'000'000ULL;
            }
            if (stopped || g_stop >= 2) { // after STOPPED, or told to stop reading
                timespec ts{0, GenlClient::kStatePollMs * 1'000'000L};
                nanosleep(&ts, nullptr);
                continue;
            }
            const int rc = poll(pfd, 1, GenlClient::kStatePollMs);
            if (rc > 0 && !events->drain(h).ok())
                break;
        }
    }
    const std::uint64_t stop_begin = mono_now_ns();
    FinalRead final_read(stop_begin);
    const auto &expected = session.pipeline().decoder().seq().expected();
    if (idle_cpus)
        final_read.set_final(*idle_cpus);
    final_read.progress(expected, stop_begin);
    bool told = false;
    while (!stopped && stop_result.ok() && g_stop < 2) {
        const std::uint64_t now = mono_now_ns();
        if (final_read.done(now)) {
            if (final_read.left().value_or(0) > 0)
                err << "netstack-kmon: stopped reading: nothing new for "
                    << FinalRead::kQuietNs / 1'000'000'000ULL << " s; " << *final_read.left()
                    << " of the records the kernel sent were not received (counted as lost:"
                       " its failed deliveries among them)"
                    << std::endl;
            break;
        }
        if (!told && now >= stop_begin + 1'000'000'000ULL) {
            err << "netstack-kmon: stopped; reading the records the kernel had already sent"
                   " (a signal again stops now, counting the rest as lost)"
                << std::endl;
            told = true;
        }
        const std::uint64_t until = std::max(final_read.deadline(), now);
        const int rc = poll(pfd, 1, static_cast<int>((until - now) / 1000000 + 1));
        if (rc > 0) {
            if (!events->drain(h).ok())
                break;
            final_read.progress(expected, mono_now_ns());
        }
    }
    if (!stopped && g_stop >= 2)
        err << "netstack-kmon: second signal: not reading the rest of the kernel's final drain"
               " (counted as lost)\n";
    // The governor's decision count of this collection stays readable after STOP.
    std::optional<std::uint32_t> gov_changes;
    if (auto st = client->status()) {
        gov_changes = st->gov_changes;
        session.probe_status(st->probes); // kprobe nmissed as of detach
        if (!stopped)
            final_cpus = st->cpus;
    } else if (!stopped) {
        err << "netstack-kmon: note: final per-CPU counters unavailable; ring losses at the"
               " end are not counted\n";
    }
    if (!stop_result.ok())
        err << "netstack-kmon: " << stop_result.error().message << "; printing what was seen\n";

    session.finish(stop_mono, final_cpus, stopped, gov_changes);
    if (writer) {
        if (auto r = writer->close(); !r) {
            if (failure.ok())
                failure = r.error();
        } else {
            err << "netstack-kmon: wrote " << writer->name() << " (" << writer->bytes()
                << " bytes, " << writer->frames() << " frames); read it with 'netstack-kmon report "
                << writer->name() << "'\n";
        }
    }
    if (!failure.ok())
        return failure;
    return stop_result;
}

} // namespace nsk
