// The live screen: a top-like page redrawn every interval on a terminal (cmd live on a TTY,
// live --replay).  Pure rendering, so tests check it on fixed summaries.
#pragma once

#include "nsk/report.hpp"
#include "nsk/summary.hpp"

#include <string>
#include <string_view>

namespace nsk {

struct ScreenOptions {
    int width = 80;  // terminal columns: no line is longer
    int height = 24; // terminal rows: the page fits
    bool color = false;
    ReportMode mode = ReportMode::full;
    int interval = 0;   // interval number shown in the header
    double rate = 0;    // events per second over the last interval
    int max_stages = 4; // busiest stages shown with bars
    int max_sockets = 8;
};

/// One page: header (elapsed, events, rate), journeys, the busiest stages as log2 bars with
/// p50/p99, the top sockets by drops, the loss ledger (warning colour when non-zero).
std::string render_screen(const Summary &s, const ScreenOptions &o);

/// Display width of UTF-8 text (code points; the report uses no wide characters).
std::size_t display_width(std::string_view s);
/// Cut UTF-8 text to at most `width` columns.
std::string fit_width(std::string_view s, std::size_t width);

} // namespace nsk
