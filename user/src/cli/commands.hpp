// One file per subcommand: an options struct with initialised members, setup_x() registering the
// subcommand and its options on the app, run_x() doing the work (testable without argv).
#pragma once

#include "nsk/error.hpp"
#include "nsk/filters.hpp"
#include "nsk/report.hpp"

#include <CLI/CLI.hpp>

namespace nsk::cli {

struct StatusOptions {
    bool json = false;
};
CLI::App *setup_status(CLI::App &app, StatusOptions &opts);
Result<void> run_status(const StatusOptions &opts);

struct LiveOptions {
    double interval = 1.0;
    double duration = 0.0; // 0 = until SIGINT/SIGTERM
    bool json = false;
    FilterOptions filters;
    double reorder_window_ms = 300.0;
    double age_s = 10.0;
};
CLI::App *setup_live(CLI::App &app, LiveOptions &opts);
Result<void> run_live(const LiveOptions &opts);

struct DropsOptions : LiveOptions {};
CLI::App *setup_drops(CLI::App &app, DropsOptions &opts);
Result<void> run_drops(const DropsOptions &opts);

/// Shared body of live and drops (cmd_live.cpp).
Result<void> run_collect(const LiveOptions &opts, ReportMode mode);

/// --interval/--duration/--json/FILTERS and the advanced knobs, shared by live and drops.
void add_collect_options(CLI::App *sub, LiveOptions &opts);

} // namespace nsk::cli
