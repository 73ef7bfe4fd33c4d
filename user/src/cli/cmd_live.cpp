#include "commands.hpp"

#include "nsk/collector.hpp"
#include "nsk/live_screen.hpp"
#include "nsk/metrics.hpp"
#include "nsk/printer.hpp"
#include "nsk/replay.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <unistd.h>

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
    // Filter values are checked once, by parse_filters() (a usage error, exit 2).
    sub->add_option("--proto", opts.filters.proto, "udp or tcp")->group(g);
    sub->add_option("--port", opts.filters.port, "Local or remote port N")->group(g);
    sub->add_option("--addr", opts.filters.addr, "Local or remote address IP[/prefix]")->group(g);
    sub->add_option("--pid", opts.filters.pid, "Process (tgid) reading/writing the socket")
        ->group(g);
    sub->add_option("--netns", opts.filters.netns,
                    "Network namespace inode (readlink /proc/PID/ns/net)")
        ->group(g);
    sub->add_option("--sample", opts.filters.sample, "Keep one flow in N: 1/N")->group(g);
    const std::string a = "Advanced";
    sub->add_option("--budget", opts.filters.budget,
                    "Overhead governor: records/s per CPU before the module samples harder (0 = "
                    "off; default: the module's budget parameter)")
        ->group(a);
    sub->add_option("--reorder-window-ms", opts.reorder_window_ms,
                    "Event-time window for cross-CPU reordering (default 300)")
        ->check(CLI::PositiveNumber)
        ->group(a);
    sub->add_option("--age", opts.age_s,
                    "Seconds without an event before a journey counts as incomplete (default 10)")
        ->check(CLI::PositiveNumber)
        ->group(a);
    const std::string b = "Memory bounds (what leaves a table is counted: docs/usage.md)";
    sub->add_option("--max-sockets", opts.max_sockets,
                    "Socket rows kept; the least recently active beyond it are summed into "
                    "'sockets pruned' (default 65536)")
        ->check(CLI::PositiveNumber)
        ->group(b);
    sub->add_option("--socket-age", opts.socket_age_s,
                    "Seconds without an event before a socket's row is summed into 'sockets "
                    "pruned' (default 600)")
        ->check(CLI::PositiveNumber)
        ->group(b);
    sub->add_option("--max-journeys", opts.max_journeys,
                    "Open journeys kept; the oldest beyond it end as incomplete, counted as "
                    "evicted (default 1000000)")
        ->check(CLI::PositiveNumber)
        ->group(b);
    sub->add_option("--queued-age", opts.queued_age_s,
                    "Seconds a packet may wait in a socket queue for its reader before its "
                    "journey ends as incomplete, counted as evicted (default 600)")
        ->check(CLI::PositiveNumber)
        ->group(b);
}

void add_output_options(CLI::App *sub, LiveOptions &opts)
{
    const std::string g = "Capture, replay and metrics";
    sub->add_option("--record", opts.record,
                    "Also write everything to a capture FILE (read it with 'report')")
        ->group(g);
    sub->add_flag("--no-compress", opts.no_compress,
                  "Store capture chunks uncompressed (default: zstd level 1)")
        ->group(g);
    sub->add_option("--replay", opts.replay,
                    "Drive the reports from a capture FILE instead of the kernel (no module, no "
                    "privilege)")
        ->check(CLI::ExistingFile)
        ->group(g);
    sub->add_option("--speed", opts.speed,
                    "Replay pace: 1 as recorded (default), N times faster, 0 as fast as possible")
        ->check(CLI::NonNegativeNumber)
        ->group(g);
    sub->add_option("--listen", opts.listen,
                    "Serve metrics (Prometheus text or OpenMetrics) on http://ADDR:PORT/metrics "
                    "(PORT 0: any free port)")
        ->group(g);
    sub->add_option("--metrics-top-sockets", opts.metrics_top_sockets,
                    "Sockets with their own /metrics series, the most active; the others are "
                    "summed into local=\"other\" (default 100)")
        ->group(g);
    sub->add_option("--linger", opts.linger,
                    "Keep serving /metrics SEC seconds after the end (or until Ctrl-C)")
        ->check(CLI::NonNegativeNumber)
        ->group(g);
}

CLI::App *setup_live(CLI::App &app, LiveOptions &opts)
{
    auto *sub = app.add_subcommand(
        "live", "Trace packets now: per-stage latency, per-socket drops, kernel counters");
    add_collect_options(sub, opts);
    add_output_options(sub, opts);
    sub->footer("On a terminal the report refreshes in place (NO_COLOR turns colour off); piped,\n"
                "each interval is appended.\n"
                "Examples:\n"
                "  sudo netstack-kmon live --duration 10                # 10 s report\n"
                "  sudo netstack-kmon live --proto udp --port 9000      # one UDP service\n"
                "  sudo netstack-kmon live --json --interval 5 > out.jsonl\n"
                "  sudo netstack-kmon live --addr 10.0.0.0/8 --sample 1/10\n"
                "  sudo netstack-kmon live --listen 127.0.0.1:9464      # Prometheus scrapes it\n"
                "  sudo netstack-kmon live --port 9000 --record cap.nsk # watch and keep a copy\n"
                "  netstack-kmon live --replay cap.nsk --speed 10       # replay, 10x faster");
    return sub;
}

bool use_color()
{
    const char *nc = std::getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(nc && *nc);
}

Result<CollectOptions> to_collect(const LiveOptions &o, ReportMode mode, const std::string &command)
{
    auto f = parse_filters(o.filters);
    if (!f)
        return f.error();
    CollectOptions c;
    c.interval_s = o.interval;
    c.duration_s = o.duration;
    c.mode = mode;
    c.command = command;
    c.filters = *f;
    c.reorder_window_ns = static_cast<std::uint64_t>(o.reorder_window_ms * 1e6);
    c.age_ns = static_cast<std::uint64_t>(o.age_s * 1e9);
    c.max_sockets = o.max_sockets;
    c.socket_age_ns = static_cast<std::uint64_t>(o.socket_age_s * 1e9);
    c.max_journeys = o.max_journeys;
    c.queued_age_ns = static_cast<std::uint64_t>(o.queued_age_s * 1e9);
    c.record_path = o.record;
    c.capture.codec = o.no_compress ? Codec::none : Codec::zstd;
    return c;
}

Result<void> run_collect(const LiveOptions &o, ReportMode mode, const std::string &command)
{
    const bool record_cmd = command == "record";
    if (!o.replay.empty()) {
        if (!o.record.empty())
            return Error{Errc::usage, "--replay and --record cannot be combined", 0};
        if (o.filters.any())
            return Error{Errc::usage,
                         "filters apply in the kernel while recording; a replay shows what the "
                         "capture holds",
                         0};
    }
    auto c = to_collect(o, mode, command);
    if (!c)
        return c.error();

    PrinterOptions po;
    po.json = o.json;
    po.intervals = !record_cmd;
    po.mode = mode;
    Printer printer(std::cout, po);
    MultiOutput outputs;

    std::unique_ptr<MetricsServer> server;
    std::unique_ptr<MetricsOutput> metrics;
    if (!o.listen.empty()) {
        auto srv = MetricsServer::start(o.listen);
        if (!srv)
            return srv.error();
        server = std::move(*srv);
        metrics = std::make_unique<MetricsOutput>(*server, o.metrics_top_sockets);
        outputs.add(metrics.get());
        std::cerr << "netstack-kmon: serving metrics (Prometheus text or OpenMetrics) on "
                  << server->url() << std::endl;
    }

    // On a terminal (not --json, not record): the live screen, which gives the terminal back
    // before the summary, on any error and on every signal; elsewhere the reports are appended.
    std::unique_ptr<LiveScreen> screen;
    if (!record_cmd && !o.json) {
        LiveScreen::Options so;
        so.color = use_color();
        so.mode = mode;
        so.interval_s = o.replay.empty() ? o.interval : 0; // a replay: the capture's pace
        so.on_quit = request_stop;
        screen = LiveScreen::open(std::cout, so);
    }
    outputs.add(screen ? static_cast<SessionOutput *>(screen.get()) : &printer);

    Result<void> result;
    if (!o.replay.empty()) {
        auto reader = CaptureReader::open(o.replay);
        if (!reader)
            return reader.error();
        StopSignals signals;
        ReplayOptions ro;
        ro.speed = o.speed;
        ro.should_stop = stop_requested;
        if (screen) // keys while the replay waits for the recorded pace
            ro.wake = {screen->fd(), [&] { screen->input(); }};
        ro.on_header = [&](const CaptureHeader &hdr) {
            if (mode == ReportMode::full) {
                printer.set_mode(hdr.mode);
                if (screen)
                    screen->set_mode(hdr.mode);
            }
        };
        auto res = replay(**reader, &outputs, ro);
        if (!res)
            return res.error();
        if (!res->complete && !res->stopped_early)
            result = Error{Errc::capture, o.replay +
                                              (res->damaged ? " is damaged (" : " is truncated (") +
                                              res->problem + "); the summary covers what it holds"};
    } else {
        if (screen)
            c->wake = {screen->fd(), [&] { screen->input(); }};
        result = collect(*c, outputs, screen ? screen->notes() : std::cerr);
    }
    if (screen) // ended before its summary (an error): the terminal back, the notes on stderr
        screen->close();

    if (server && o.linger > 0) {
        StopSignals signals;
        const auto until = std::chrono::steady_clock::now() +
                           std::chrono::milliseconds(static_cast<long long>(o.linger * 1000));
        while (!stop_requested() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return result;
}

Result<void> run_live(const LiveOptions &opts)
{
    return run_collect(opts, ReportMode::full, "live");
}

} // namespace nsk::cli
