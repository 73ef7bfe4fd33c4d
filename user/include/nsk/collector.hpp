// The live collection loop shared by `live`, `drops` and `record`: subscribe, CONFIG, START,
// poll the event socket, tick every interval, STOP, wait for STOPPED, report.  The analysis and
// the capture file are the Session's (session.hpp); this is the kernel side of it.
#pragma once

#include "nsk/capture_writer.hpp"
#include "nsk/error.hpp"
#include "nsk/filters.hpp"
#include "nsk/report.hpp"
#include "nsk/session.hpp"

#include <csignal>
#include <functional>
#include <ostream>
#include <string>

namespace nsk {

struct CollectOptions {
    double interval_s = 1.0;
    double duration_s = 0.0; // 0: until SIGINT/SIGTERM
    ReportMode mode = ReportMode::full;
    std::string command = "live";
    Filters filters;
    std::uint64_t reorder_window_ns = 300'000'000ULL;
    std::uint64_t age_ns = 10'000'000'000ULL;
    // The correlator's bounds (CorrelatorOptions): --socket-age, --max-sockets, --queued-age,
    // --max-journeys.
    std::uint64_t socket_age_ns = CorrelatorOptions{}.socket_age_ns;
    std::uint64_t max_sockets = CorrelatorOptions{}.max_sockets;
    std::uint64_t queued_age_ns = CorrelatorOptions{}.queued_age_ns;
    std::uint64_t max_journeys = CorrelatorOptions{}.max_journeys;
    std::string record_path; // write a capture here ("" = none)
    CaptureWriterOptions capture;
    WaitHook wake;
};

/// Collect until the duration ends or SIGINT/SIGTERM; reports go to `out` (printer, screen,
/// metrics), notes to `err`.
Result<void> collect(const CollectOptions &opts, SessionOutput &out, std::ostream &err);

/// True once SIGINT/SIGTERM arrived during collect() / a replay with install_stop_signals().
bool stop_requested();
/// Stop as the first SIGINT would (the live screen's q): the collection or replay ends and
/// reports its summary.
void request_stop();
/// SIGINT/SIGTERM set the stop flag (no SA_RESTART) until the guard dies.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals &) = delete;
    StopSignals &operator=(const StopSignals &) = delete;

private:
    struct ::sigaction old_int_ {};
    struct ::sigaction old_term_ {};
};

std::uint64_t mono_now_ns();

} // namespace nsk
