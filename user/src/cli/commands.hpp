// One file per subcommand: an options struct with initialised members, setup_x() registering the
// subcommand and its options on the app, run_x() doing the work (testable without argv).
#pragma once

#include "nsk/collector.hpp"
#include "nsk/error.hpp"
#include "nsk/filters.hpp"
#include "nsk/report.hpp"

#include <CLI/CLI.hpp>
#include <string>

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
    // Bounds for long runs (docs/usage.md, "Memory bounds"): CorrelatorOptions' defaults.
    std::uint64_t max_sockets = 65'536;
    double socket_age_s = 600.0;
    std::uint64_t max_journeys = 1'000'000;
    double queued_age_s = 600.0;
    std::size_t metrics_top_sockets = 100; // kMetricsTopSockets
    std::string record;                    // --record FILE (record: -o FILE)
    bool no_compress = false;              // capture chunks stored as they are
    std::string replay;  // --replay FILE: drive the reports from a capture, no kernel
    double speed = 1.0;  // replay pace: 1 recorded, N faster, 0 as fast as possible
    std::string listen;  // --listen ADDR:PORT: serve metrics on /metrics
    double linger = 0.0; // keep serving /metrics this long after the end
};
CLI::App *setup_live(CLI::App &app, LiveOptions &opts);
Result<void> run_live(const LiveOptions &opts);

struct DropsOptions : LiveOptions {};
CLI::App *setup_drops(CLI::App &app, DropsOptions &opts);
Result<void> run_drops(const DropsOptions &opts);

struct RecordOptions : LiveOptions {};
CLI::App *setup_record(CLI::App &app, RecordOptions &opts);
Result<void> run_record(const RecordOptions &opts);

struct ReportOptions {
    std::string file;
    bool json = false;
    bool intervals = false; // text: print the interval reports too
};
CLI::App *setup_report(CLI::App &app, ReportOptions &opts);
Result<void> run_report(const ReportOptions &opts);

struct DiagnoseOptions : LiveOptions {
    std::string file; // a capture to diagnose instead of collecting
    DiagnoseOptions() { duration = 10.0; }
};
CLI::App *setup_diagnose(CLI::App &app, DiagnoseOptions &opts);
Result<void> run_diagnose(const DiagnoseOptions &opts);

/// The collector's options from the command line's (cmd_live.cpp).
Result<CollectOptions> to_collect(const LiveOptions &o, ReportMode mode, const std::string &command);

/// Shared body of live, drops and record (cmd_live.cpp).
Result<void> run_collect(const LiveOptions &opts, ReportMode mode, const std::string &command);

/// --interval/--duration/--json/FILTERS and the advanced knobs, shared by live, drops, record.
void add_collect_options(CLI::App *sub, LiveOptions &opts);
/// --record/--replay/--speed/--listen/--linger (live and drops).
void add_output_options(CLI::App *sub, LiveOptions &opts);

/// Colour on stdout: a TTY and NO_COLOR unset or empty.
bool use_color();

} // namespace nsk::cli
