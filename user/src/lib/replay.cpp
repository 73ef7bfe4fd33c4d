#include "nsk/replay.hpp"

#include <algorithm>
#include <chrono>
#include <poll.h>
#include <thread>

namespace nsk {
namespace {

using clock = std::chrono::steady_clock;

std::optional<nlohmann::json> parse_json(const Frame &f)
{
    auto j = nlohmann::json::parse(f.text(), nullptr, false);
    if (j.is_discarded())
        return std::nullopt;
    return j;
}

/// Wait until `due` (the recorded pace; in the past: not at all), handling the wake hook's input
/// meanwhile — at least one look at it, so keys work at any speed; return early when
/// should_stop() says so.  Never blind for more than 100 ms (a signal's stop flag).
void wait_until(clock::time_point due, const ReplayOptions &o)
{
    const bool hook = o.wake.fd >= 0 && o.wake.ready;
    while (!(o.should_stop && o.should_stop())) {
        const auto now = clock::now();
        const auto ms =
            now >= due ? 0
                       : std::min<std::int64_t>(
                             100, std::chrono::ceil<std::chrono::milliseconds>(due - now).count());
        if (hook) {
            pollfd p{o.wake.fd, POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(ms)) > 0)
                o.wake.ready();
        } else if (ms > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        }
        if (ms == 0)
            return;
    }
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
    Result<CaptureHeader> hdr = Error{Errc::capture, reader.name() + " has a malformed header", 0};
    try { // (a JSON value of an unexpected type: a hand-made or damaged file)
        hdr = header_from_json(*hj);
    } catch (const nlohmann::json::exception &e) {
        return Error{Errc::capture,
                     reader.name() + " has a malformed header (" + std::string(e.what()) + ")", 0};
    }
    if (!hdr)
        return hdr.error();
    res.header = *hdr;
    if (opts.on_header)
        opts.on_header(*hdr);
    Session session(*hdr, nullptr, out);
    ++res.frames;

    const auto wall0 = clock::now();
    const std::uint64_t mono0 = hdr->t0_mono_ns;
    const bool paced = opts.speed > 0, hook = opts.wake.fd >= 0 && opts.wake.ready;
    auto pace = [&](std::uint64_t mono) {
        if (paced && mono > mono0)
            wait_until(wall0 + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                   static_cast<double>(mono - mono0) / opts.speed)),
                       opts);
        else if (hook) // as fast as possible: still a look at the keys between frames
            wait_until(clock::time_point::min(), opts);
    };

    bool bad_frame = false;
    while (!session.finished() && reader.next(f)) {
        if (opts.should_stop && opts.should_stop()) {
            res.stopped_early = true;
            break;
        }
        ++res.frames;
        pace(f.mono_ns);
        // The JSON frames' payload, parsed once: one that does not parse is malformed.
        std::optional<nlohmann::json> j;
        if (f.type == FrameType::governor || f.type == FrameType::proc ||
            f.type == FrameType::tick || f.type == FrameType::end) {
            j = parse_json(f);
            if (!j) {
                bad_frame = true;
                break;
            }
        }
        // The readers are lenient (a wrong type reads as the default), but a JSON value of a type
        // nlohmann cannot convert at all (a hand-made or damaged capture) throws: the frame is
        // malformed, the replay ends there (exit 5), never an abort.
        try {
            switch (f.type) {
            case FrameType::batch:
                if (auto b = batch_payload(f)) {
                    session.batch(f.mono_ns, b->cpu, b->seq, b->count, b->records, b->len);
                    ++res.batches;
                } else {
                    bad_frame = true;
                }
                break;
            case FrameType::enobufs:
                session.enobufs(f.mono_ns);
                break;
            case FrameType::governor:
                session.governor(f.mono_ns, j->get<GovernorChange>());
                break;
            case FrameType::proc:
                session.replay_proc(proc_from_json(*j));
                break;
            case FrameType::tick:
                session.replay_tick(tick_from_json(*j, f.mono_ns));
                break;
            case FrameType::end: {
                EndFrame e = end_from_json(*j, f.mono_ns);
                session.replay_finish(e);
                res.recorded_summary = std::move(e.summary);
                res.complete = true;
                break;
            }
            case FrameType::header:
            default:
                break; // unknown frame types are skipped (newer writers may add some)
            }
        } catch (const nlohmann::json::exception &) {
            bad_frame = true;
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
        EndFrame cut; // what the file holds: no final counters, no last /proc look
        cut.stop_ns = session.last_mono();
        session.replay_finish(cut);
    }
    res.summary = session.last();
    return res;
}

} // namespace nsk
