#include "commands.hpp"

#include "nsk/collector.hpp"

#include <iostream>

namespace nsk::cli {

void add_collect_options(CLI::App *sub, LiveOptions &opts)
{
    sub->add_option("--interval", opts.interval, "Seconds between reports (default 1)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--duration", opts.duration,
                    "Stop after SEC seconds (default: until Ctrl-C / SIGTERM)")
        ->check(CLI::NonNegativeNumber);
    sub->add_flag("--json", opts.json,
                  "JSON Lines: one \"interval\" object per interval, then the \"summary\"");
    const std::string g = "Filters (combine with AND, applied in the kernel)";
    sub->add_option("--proto", opts.filters.proto, "udp or tcp")
        ->check(CLI::IsMember({"udp", "tcp"}))
        ->group(g);
    sub->add_option("--port", opts.filters.port, "Local or remote port N")
        ->check(CLI::Range(1, 65535))
        ->group(g);
    sub->add_option("--addr", opts.filters.addr, "Local or remote address IP[/prefix]")->group(g);
    sub->add_option("--pid", opts.filters.pid, "Process (tgid) reading/writing the socket")
        ->check(CLI::PositiveNumber)
        ->group(g);
    sub->add_option("--netns", opts.filters.netns,
                    "Network namespace inode (readlink /proc/PID/ns/net)")
        ->check(CLI::PositiveNumber)
        ->group(g);
    sub->add_option("--sample", opts.filters.sample, "Keep one flow in N: 1/N")->group(g);
    const std::string a = "Advanced";
    sub->add_option("--reorder-window-ms", opts.reorder_window_ms,
                    "Event-time window for cross-CPU reordering (default 300)")
        ->check(CLI::PositiveNumber)
        ->group(a);
    sub->add_option("--age", opts.age_s,
                    "Seconds without an event before a journey counts as incomplete (default 10)")
        ->check(CLI::PositiveNumber)
        ->group(a);
}

CLI::App *setup_live(CLI::App &app, LiveOptions &opts)
{
    auto *sub = app.add_subcommand(
        "live", "Trace packets now: per-stage latency, per-socket drops, kernel counters");
    add_collect_options(sub, opts);
    sub->footer("Examples:\n"
                "  sudo netstack-kmon live --duration 10                # 10 s report\n"
                "  sudo netstack-kmon live --proto udp --port 9000      # one UDP service\n"
                "  sudo netstack-kmon live --json --interval 5 > out.jsonl\n"
                "  sudo netstack-kmon live --addr 10.0.0.0/8 --sample 1/10");
    return sub;
}

namespace {
Result<CollectOptions> to_collect(const LiveOptions &o, ReportMode mode)
{
    auto f = parse_filters(o.filters);
    if (!f)
        return f.error();
    CollectOptions c;
    c.interval_s = o.interval;
    c.duration_s = o.duration;
    c.json = o.json;
    c.mode = mode;
    c.filters = *f;
    c.reorder_window_ns = static_cast<std::uint64_t>(o.reorder_window_ms * 1e6);
    c.age_ns = static_cast<std::uint64_t>(o.age_s * 1e9);
    return c;
}
} // namespace

Result<void> run_collect(const LiveOptions &o, ReportMode mode)
{
    auto c = to_collect(o, mode);
    if (!c)
        return c.error();
    return collect(*c, std::cout, std::cerr);
}

Result<void> run_live(const LiveOptions &opts)
{
    return run_collect(opts, ReportMode::full);
}

} // namespace nsk::cli
