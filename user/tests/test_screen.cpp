#define BOOST_TEST_MODULE screen
#include <boost/test/unit_test.hpp>

#include "synth_capture.hpp"

#include "nsk/screen.hpp"

#include <sstream>

namespace {
std::vector<std::string> lines_of(const std::string &s)
{
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}
} // namespace

BOOST_AUTO_TEST_CASE(screen_fits_the_terminal)
{
    const auto run = synth::synth_rcvbuf_run({}, true);
    for (auto [w, h] : {std::pair<int, int>{120, 40}, {80, 24}, {40, 12}}) {
        nsk::ScreenOptions o;
        o.width = w;
        o.height = h;
        o.rate = 123;
        const auto text = nsk::render_screen(run.summary, o);
        const auto lines = lines_of(text);
        BOOST_TEST(static_cast<int>(lines.size()) <= h);
        for (const auto &l : lines)
            BOOST_TEST(static_cast<int>(nsk::display_width(l)) <= w);
        BOOST_TEST(text.find("\033[") == std::string::npos); // no colour unless asked
        BOOST_TEST(lines[0].find("elapsed") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(screen_shows_bars_sockets_and_loss)
{
    const auto run = synth::synth_rcvbuf_run({}, true);
    nsk::ScreenOptions o;
    o.width = 120;
    o.height = 40;
    o.rate = 250;
    const auto text = nsk::render_screen(run.summary, o);
    BOOST_TEST(text.find("00:00:05 elapsed") != std::string::npos);
    BOOST_TEST(text.find("250 ev/s") != std::string::npos);
    BOOST_TEST(text.find("Busiest stages") != std::string::npos);
    BOOST_TEST(text.find("|@") != std::string::npos);
    BOOST_TEST(text.find("p99") != std::string::npos);
    BOOST_TEST(text.find("Top sockets by drops") != std::string::npos);
    // the dropping socket comes first
    BOOST_TEST(text.find("127.0.0.1:9000") < text.find("127.0.0.1:9001"));
    BOOST_TEST(text.find("SOCKET_RCVBUFF:16") != std::string::npos);
    BOOST_TEST(text.find("loss: ring 0, netlink 7") != std::string::npos);

    o.color = true;
    const auto colored = nsk::render_screen(run.summary, o);
    BOOST_TEST(colored.find("\033[1;31mloss: ring 0, netlink 7") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_loss_is_not_a_warning)
{
    const auto run = synth::synth_rcvbuf_run();
    nsk::ScreenOptions o;
    o.color = true;
    const auto text = nsk::render_screen(run.summary, o);
    BOOST_TEST(text.find("\033[1;31m") == std::string::npos);
    BOOST_TEST(text.find("loss: ring 0, netlink 0, user 0, incomplete journeys 0") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(fit_width_counts_code_points)
{
    BOOST_TEST(nsk::display_width("a → b µs") == 8u);
    BOOST_TEST(nsk::fit_width("a → b", 3) == "a →");
    BOOST_TEST(nsk::fit_width("abc", 10) == "abc");
}
