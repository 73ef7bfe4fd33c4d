// The live collection loop shared by `live` and `drops`: subscribe, CONFIG, START, poll the event
// socket, report every interval, STOP, wait for STOPPED, print the summary.
#pragma once

#include "nsk/error.hpp"
#include "nsk/filters.hpp"
#include "nsk/report.hpp"

#include <ostream>

namespace nsk {

struct CollectOptions {
    double interval_s = 1.0;
    double duration_s = 0.0; // 0: until SIGINT/SIGTERM
    bool json = false;
    ReportMode mode = ReportMode::full;
    Filters filters;
    std::uint64_t reorder_window_ns = 300'000'000ULL;
    std::uint64_t age_ns = 10'000'000'000ULL;
};

Result<void> collect(const CollectOptions &opts, std::ostream &out, std::ostream &err);

} // namespace nsk
