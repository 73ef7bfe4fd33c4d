#define BOOST_TEST_MODULE cli
#include <boost/test/unit_test.hpp>

#include "commands.hpp"

using namespace nsk::cli;

namespace {
struct App {
    CLI::App app{"test"};
    StatusOptions status;
    LiveOptions live;
    DropsOptions drops;
    CLI::App *s, *l, *d;
    App()
    {
        app.require_subcommand(1);
        s = setup_status(app, status);
        l = setup_live(app, live);
        d = setup_drops(app, drops);
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
    BOOST_TEST(a.live.filters.port == -1);
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
    BOOST_TEST(a.live.filters.port == 9000);
    BOOST_TEST(a.live.filters.addr == "10.0.0.0/8");
    BOOST_TEST(a.live.filters.pid == 42);
    BOOST_TEST(a.live.filters.netns == 4026531840LL);
    BOOST_TEST(a.live.filters.sample == "1/4");
    auto f = nsk::parse_filters(a.live.filters);
    BOOST_TEST(f.ok());
}

BOOST_AUTO_TEST_CASE(drops_shares_options)
{
    App a;
    a.parse({"drops", "--port", "53", "--duration", "3"});
    BOOST_TEST(a.d->parsed());
    BOOST_TEST(a.drops.filters.port == 53);
    BOOST_TEST(a.drops.duration == 3.0);
}

BOOST_AUTO_TEST_CASE(usage_errors_throw_parse_errors)
{
    for (std::vector<std::string> bad : {std::vector<std::string>{"live", "--port", "0"},
                                         {"live", "--proto", "icmp"},
                                         {"live", "--interval", "-1"},
                                         {"live", "--bogus"},
                                         {},
                                         {"frobnicate"}}) {
        App a;
        BOOST_CHECK_THROW(a.parse(bad), CLI::ParseError);
    }
}

BOOST_AUTO_TEST_CASE(help_has_examples)
{
    App a;
    BOOST_TEST(a.l->help().find("Examples:") != std::string::npos);
    BOOST_TEST(a.s->help().find("Examples:") != std::string::npos);
    BOOST_TEST(a.d->help().find("Examples:") != std::string::npos);
}
