// diagnose: collect for a while (or read a capture) and print what is wrong and what to change
// (the verdicts, verdicts.hpp), with the evidence; --json: one object with the verdicts and the
// summary they rest on.
#include "commands.hpp"

#include "nsk/collector.hpp"
#include "nsk/report.hpp"
#include "nsk/replay.hpp"
#include "nsk/verdicts.hpp"

#include <cstdio>
#include <iostream>

namespace nsk::cli {
namespace {

/// Prints only the end: the verdicts (computed here for a capture that predates them).
class VerdictPrinter : public SessionOutput {
public:
    explicit VerdictPrinter(bool json) : json_(json) {}
    void interval(const Summary &, int, double) override {}
    void summary(const Summary &in) override
    {
        Summary s = in;
        if (!s.verdicts)
            s.verdicts = diagnose(s);
        if (json_) {
            ojson j;
            j["type"] = "diagnose";
            j["duration_s"] = std::round(s.duration_s * 1000) / 1000;
            auto v = ojson::array();
            for (const Verdict &x : *s.verdicts)
                v.push_back(verdict_json(x));
            j["verdicts"] = std::move(v);
            j["summary"] = summary_json(s);
            std::cout << j.dump() << '\n';
        } else {
            char head[160];
            std::snprintf(head, sizeof(head),
                          "netstack-kmon diagnose: %.1f s, %llu events, kernel %s\n\n",
                          s.duration_s, static_cast<unsigned long long>(s.events),
                          s.kernel.c_str());
            std::cout << head << verdicts_text(s);
            if (s.loss.any())
                std::cout << "the tool's own loss: ring " << s.loss.ring << ", netlink "
                          << s.loss.netlink << ", incomplete journeys "
                          << s.loss.incomplete_journeys << "\n";
            std::cout << "(the full report: netstack-kmon live/report; --json for the "
                         "evidence in full)\n";
        }
        std::cout.flush();
    }

private:
    bool json_;
};

} // namespace

CLI::App *setup_diagnose(CLI::App &app, DiagnoseOptions &opts)
{
    auto *sub = app.add_subcommand(
        "diagnose", "Say what is wrong and what to change: drops and latency, their cause, the "
                    "evidence and the fix, sized from what was measured (collects for --duration "
                    "SEC, default 10; or reads a capture)");
    sub->add_option("FILE", opts.file, "A capture (record, live --record) instead of collecting")
        ->check(CLI::ExistingFile);
    add_collect_options(sub, opts);
    sub->add_option("--record", opts.record, "Also keep what was collected in a capture FILE");
    sub->footer("Examples:\n"
                "  sudo netstack-kmon diagnose --duration 30              # the whole box\n"
                "  sudo netstack-kmon diagnose --proto udp --port 9000     # one service\n"
                "  netstack-kmon diagnose cap.nsk --json | jq '.verdicts[] | {kind, change}'\n"
                "Each verdict: kind, cause, evidence, change (with numbers where the data sizes\n"
                "it) and what the data cannot show (docs/report.md, \"Verdicts\").");
    return sub;
}

Result<void> run_diagnose(const DiagnoseOptions &opts)
{
    VerdictPrinter out(opts.json);
    if (!opts.file.empty()) {
        if (opts.filters.any())
            return Error{Errc::usage,
                         "filters apply in the kernel while recording; a capture is diagnosed "
                         "as it was recorded",
                         0};
        auto reader = CaptureReader::open(opts.file);
        if (!reader)
            return reader.error();
        ReplayOptions ro;
        ro.speed = 0;
        auto res = replay(**reader, &out, ro);
        if (!res)
            return res.error();
        if (!res->complete)
            return Error{Errc::capture, opts.file + (res->damaged ? " is damaged (" : " is truncated (") +
                                            res->problem + "); the verdicts cover what it holds"};
        return {};
    }
    auto c = to_collect(opts, ReportMode::full, "diagnose");
    if (!c)
        return c.error();
    return collect(*c, out, std::cerr);
}

} // namespace nsk::cli
