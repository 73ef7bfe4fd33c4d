#include "commands.hpp"

#include "nsk/printer.hpp"
#include "nsk/replay.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

namespace nsk::cli {
namespace {
std::string secs(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", s);
    return buf;
}
} // namespace

CLI::App *setup_report(CLI::App &app, ReportOptions &opts)
{
    auto *sub = app.add_subcommand(
        "report", "Print the summary of a capture, exactly as live printed it (no module needed)");
    sub->add_option("FILE", opts.file, "Capture written by 'record' or 'live --record'")
        ->required()
        ->check(CLI::ExistingFile);
    sub->add_flag("--json", opts.json,
                  "JSON Lines as 'live --json' printed them: the intervals, then the summary");
    sub->add_flag("--intervals", opts.intervals, "Text: print every interval report too");
    sub->footer("Exit status 5 when the capture is truncated or damaged: the summary of what it\n"
                "holds is printed anyway, and stderr says where it ends.\n"
                "Examples:\n"
                "  netstack-kmon report rcvbuf.nsk\n"
                "  netstack-kmon report rcvbuf.nsk --json | tail -1 | jq '.sockets[] | "
                "{local, drops_total, kernel_drops_delta}'\n"
                "  netstack-kmon live --replay rcvbuf.nsk          # watch it again");
    return sub;
}

Result<void> run_report(const ReportOptions &opts)
{
    auto reader = CaptureReader::open(opts.file);
    if (!reader)
        return reader.error();
    PrinterOptions po;
    po.json = opts.json;
    po.intervals = opts.json || opts.intervals;
    Printer printer(std::cout, po);
    ReplayOptions ro;
    ro.on_header = [&](const CaptureHeader &h) { printer.set_mode(h.mode); };
    auto res = replay(**reader, &printer, ro);
    if (!res)
        return res.error();
    if (res->header.histogram == Precision::log2)
        std::cerr << "netstack-kmon: note: " << opts.file
                  << " predates the log-linear histograms: its percentiles are log2-interpolated "
                     "as its run printed them (up to 2x off, not within 1 %)\n";
    if (!res->complete)
        return Error{Errc::capture, opts.file +
                                        (res->damaged ? " is damaged (" : " is truncated (") +
                                        res->problem + ")" + "; the summary covers its first " +
                                        secs(res->summary.duration_s) + " s"};
    auto replayed = nlohmann::json::parse(summary_json(res->summary).dump());
    if (res->recorded_summary && !res->recorded_summary->contains("histogram"))
        replayed.erase("histogram"); // printed before the key existed
    if (res->recorded_summary && res->header.tool_version == NSK_VERSION &&
        replayed != *res->recorded_summary)
        std::cerr << "netstack-kmon: note: the replay of " << opts.file
                  << " differs from the summary recorded in it; please report this\n";
    return {};
}

} // namespace nsk::cli
