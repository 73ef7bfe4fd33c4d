// Replay: a capture's frames through a Session (session.hpp), in file order, making the calls
// the live run made — so `report` and `live --replay` print what the run printed.
#pragma once

#include "nsk/capture.hpp"
#include "nsk/capture_reader.hpp"
#include "nsk/error.hpp"
#include "nsk/session.hpp"

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace nsk {

struct ReplayOptions {
    double speed = 0; // 0: as fast as possible; 1: recorded pace; N: N times faster
    /// Checked between frames and while waiting for the recorded pace; returning true stops
    /// the replay (SIGINT, the live screen's q).
    std::function<bool()> should_stop;
    /// Input to handle while waiting for the recorded pace (the live screen's keys).
    WaitHook wake;
    /// Called with the header before the first report (e.g. to pick the report mode).
    std::function<void(const CaptureHeader &)> on_header;
};

struct ReplayResult {
    bool complete = false;      // the trailer was read
    bool stopped_early = false; // should_stop() said so
    bool damaged = false;       // a chunk failed its checks (else: truncated)
    std::string problem;        // why not complete (cut / damaged / no trailer)
    std::uint64_t bytes = 0;
    std::uint64_t batches = 0;
    std::uint64_t frames = 0;
    CaptureHeader header;
    std::optional<nlohmann::json> recorded_summary; // from the trailer
    Summary summary;                                // what the replay computed
};

/// Replay a capture through a Session.  An error only when nothing could be read (not a
/// capture, unreadable header); a cut or damaged file yields a result with complete == false.
Result<ReplayResult> replay(CaptureReader &reader, SessionOutput *out,
                            const ReplayOptions &opts = {});

} // namespace nsk
