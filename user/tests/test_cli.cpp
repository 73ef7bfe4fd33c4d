#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include "commands.hpp"

#include "nsk/correlator.hpp"
#include "nsk/metrics.hpp"

using namespace nsk::cli;

namespace {
struct App {
    CLI::App app{"test"};
    StatusOptions status;
    LiveOptions live;
    DropsOptions drops;
    RecordOptions record;
    ReportOptions report;
    CLI::App *s, *l, *d, *rec, *rep;
    App()
    {
        app.require_subcommand(1);
        s = setup_status(app, status);
        l = setup_live(app, live);
        d = setup_drops(app, drops);
        rec = setup_record(app, record);
        rep = setup_report(app, report);
    }
    void parse(std::vector<std::string> args)
    {
        std::reverse(args.begin(), args.end());
        app.parse(args);
    }
};
} // namespace

BOOST_AUTO_TEST_CASE(status_json)
{
    App a;
    a.parse({"status", "--json"});
    BOOST_TEST(a.s->parsed());
    BOOST_TEST(a.status.json);
}

BOOST_AUTO_TEST_CASE(live_defaults)
{
    App a;
    a.parse({"live"});
    BOOST_TEST(a.l->parsed());
    BOOST_TEST(a.live.interval == 1.0);
    BOOST_TEST(a.live.duration == 0.0);
    BOOST_TEST(!a.live.json);
    BOOST_TEST(!a.live.filters.port);
    BOOST_TEST(a.live.reorder_window_ms == 300.0);
}

BOOST_AUTO_TEST_CASE(live_all_options)
{
    App a;
    a.parse({"live", "--interval", "2.5", "--duration", "10", "--json", "--proto", "udp", "--port",
             "9000", "--addr", "10.0.0.0/8", "--pid", "42", "--netns", "4026531840", "--sample",
             "1/4"});
    BOOST_TEST(a.live.interval == 2.5);
    BOOST_TEST(a.live.duration == 10.0);
    BOOST_TEST(a.live.json);
    BOOST_TEST(a.live.filters.proto == "udp");
    BOOST_TEST(a.live.filters.port.value_or(0) == 9000);
    BOOST_TEST(a.live.filters.addr == "10.0.0.0/8");
    BOOST_TEST(a.live.filters.pid.value_or(0) == 42);
    BOOST_TEST(a.live.filters.netns.value_or(0) == 4026531840LL);
    BOOST_TEST(a.live.filters.sample == "1/4");
    auto f = nsk::parse_filters(a.live.filters);
    BOOST_TEST(f.ok());
}

BOOST_AUTO_TEST_CASE(drops_shares_options)
{
    App a;
    a.parse({"drops", "--port", "53", "--duration", "3"});
    BOOST_TEST(a.d->parsed());
    BOOST_TEST(a.drops.filters.port.value_or(0) == 53);
    BOOST_TEST(a.drops.duration == 3.0);
}

BOOST_AUTO_TEST_CASE(usage_errors_throw_parse_errors)
{
    for (std::vector<std::string> bad : {std::vector<std::string>{"live", "--port", "x"},
                                         {"live", "--interval", "-1"},
                                         {"live", "--bogus"},
                                         {},
                                         {"frobnicate"}}) {
        App a;
        BOOST_CHECK_THROW(a.parse(bad), CLI::ParseError);
    }
}

BOOST_AUTO_TEST_CASE(filter_values_are_checked_once_by_parse_filters)
{
    // CLI11 only converts them; out of range is a usage error of the run (exit 2), before any
    // contact with the kernel.
    for (std::vector<std::string> bad : {std::vector<std::string>{"live", "--port", "0"},
                                         {"live", "--proto", "icmp"},
                                         {"live", "--pid", "0"},
                                         {"live", "--netns", "-3"},
                                         {"drops", "--budget", "-1"}}) {
        App a;
        a.parse(bad);
        auto r = a.l->parsed() ? run_live(a.live) : run_drops(a.drops);
        BOOST_REQUIRE(!r.ok());
        BOOST_TEST(nsk::exit_code(r.error()) == 2);
    }
}

BOOST_AUTO_TEST_CASE(help_has_examples)
{
    App a;
    BOOST_TEST(a.l->help().find("Examples:") != std::string::npos);
    BOOST_TEST(a.s->help().find("Examples:") != std::string::npos);
    BOOST_TEST(a.d->help().find("Examples:") != std::string::npos);
    BOOST_TEST(a.rec->help().find("Examples:") != std::string::npos);
    BOOST_TEST(a.rep->help().find("Examples:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(record_needs_an_output_and_takes_filters)
{
    {
        App a;
        BOOST_CHECK_THROW(a.parse({"record", "--duration", "5"}), CLI::ParseError);
    }
    App a;
    a.parse({"record", "-o", "/tmp/x.nsk", "--duration", "5", "--port", "9000", "--no-compress"});
    BOOST_TEST(a.rec->parsed());
    BOOST_TEST(a.record.record == "/tmp/x.nsk");
    BOOST_TEST(a.record.duration == 5.0);
    BOOST_TEST(a.record.filters.port.value_or(0) == 9000);
    BOOST_TEST(a.record.no_compress);
}

BOOST_AUTO_TEST_CASE(report_takes_a_file)
{
    {
        App a;
        BOOST_CHECK_THROW(a.parse({"report"}), CLI::ParseError);
    }
    {
        App a;
        BOOST_CHECK_THROW(a.parse({"report", "/nonexistent/capture.nsk"}), CLI::ParseError);
    }
    App a;
    a.parse({"report", "--json", NSK_TEST_DATA_DIR "/fixtures/snmp_before.txt"});
    BOOST_TEST(a.rep->parsed());
    BOOST_TEST(a.report.json);
    // not a capture: exit 5, one sentence
    auto r = run_report(a.report);
    BOOST_TEST(!r.ok());
    BOOST_TEST(nsk::exit_code(r.error()) == 5);
    BOOST_TEST(r.error().message.find("not a netstack-kmon capture") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(live_output_options)
{
    App a;
    a.parse({"live", "--record", "c.nsk", "--listen", "127.0.0.1:9464", "--linger", "5"});
    BOOST_TEST(a.live.record == "c.nsk");
    BOOST_TEST(a.live.listen == "127.0.0.1:9464");
    BOOST_TEST(a.live.linger == 5.0);
    App b;
    b.parse({"live", "--replay", NSK_TEST_DATA_DIR "/fixtures/snmp_before.txt", "--speed", "0"});
    BOOST_TEST(b.live.speed == 0.0);
    // filters make no sense on a replay
    b.live.filters.port = 53;
    auto r = run_live(b.live);
    BOOST_TEST(!r.ok());
    BOOST_TEST(nsk::exit_code(r.error()) == 2);
}

// The memory bounds (docs/usage.md "Memory bounds"): the CLI's defaults are the library's, and
// every bound is a positive number.
BOOST_AUTO_TEST_CASE(live_memory_bounds_options)
{
    App a;
    a.parse({"live"});
    const nsk::CorrelatorOptions c;
    BOOST_TEST(a.live.max_sockets == c.max_sockets);
    BOOST_TEST(static_cast<std::uint64_t>(a.live.socket_age_s * 1e9) == c.socket_age_ns);
    BOOST_TEST(a.live.max_journeys == c.max_journeys);
    BOOST_TEST(static_cast<std::uint64_t>(a.live.queued_age_s * 1e9) == c.queued_age_ns);
    BOOST_TEST(a.live.metrics_top_sockets == nsk::kMetricsTopSockets);
    App b;
    b.parse({"live", "--max-sockets", "200", "--socket-age", "10", "--max-journeys", "5000",
             "--queued-age", "30", "--metrics-top-sockets", "20"});
    BOOST_TEST(b.live.max_sockets == 200u);
    BOOST_TEST(b.live.socket_age_s == 10.0);
    BOOST_TEST(b.live.max_journeys == 5000u);
    BOOST_TEST(b.live.queued_age_s == 30.0);
    BOOST_TEST(b.live.metrics_top_sockets == 20u);
    for (const char *opt : {"--max-sockets", "--socket-age", "--max-journeys", "--queued-age"}) {
        App bad;
        BOOST_CHECK_THROW(bad.parse({"live", opt, "0"}), CLI::ParseError);
    }
}
