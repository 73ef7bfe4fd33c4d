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

namespace {
nsk::SocketRow sock(const char *local, std::uint32_t pid, std::uint64_t rx, std::uint64_t drops)
{
    nsk::SocketRow r;
    r.proto = "udp";
    r.local = local;
    r.remote = "0.0.0.0:0";
    r.pid = pid;
    r.rx_packets = rx;
    r.drops_total = drops;
    return r;
}
std::vector<std::string> order(const std::vector<const nsk::SocketRow *> &rows)
{
    std::vector<std::string> out;
    for (const auto *r : rows)
        out.push_back(r->local);
    return out;
}
} // namespace

BOOST_AUTO_TEST_CASE(sockets_sort_by_any_column_either_way)
{
    std::vector<nsk::SocketRow> rows{sock("10.0.0.1:1", 30, 5, 0), sock("10.0.0.2:2", 10, 50, 3),
                                     sock("10.0.0.3:3", 20, 500, 3)};
    rows.push_back(sock("10.0.0.4:4", 0, 1, 0));
    rows.back().pid.reset(); // no pid: last, either way
    using V = std::vector<std::string>;
    using nsk::SortKey;
    BOOST_TEST(order(nsk::sort_sockets(rows, SortKey::drops, false)) ==
               (V{"10.0.0.3:3", "10.0.0.2:2", "10.0.0.1:1", "10.0.0.4:4"})); // ties: more rx
    BOOST_TEST(order(nsk::sort_sockets(rows, SortKey::pid, false)) ==
               (V{"10.0.0.1:1", "10.0.0.3:3", "10.0.0.2:2", "10.0.0.4:4"}));
    BOOST_TEST(order(nsk::sort_sockets(rows, SortKey::pid, true)) ==
               (V{"10.0.0.2:2", "10.0.0.3:3", "10.0.0.1:1", "10.0.0.4:4"}));
    BOOST_TEST(order(nsk::sort_sockets(rows, SortKey::rx, true)) ==
               (V{"10.0.0.4:4", "10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3"}));
    BOOST_TEST(order(nsk::sort_sockets(rows, SortKey::local, true)) ==
               (V{"10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3", "10.0.0.4:4"}));
    // no queue samples anywhere: the order falls back to drops, then rx
    BOOST_TEST(order(nsk::sort_sockets(rows, SortKey::queue_p99, true)) ==
               (V{"10.0.0.3:3", "10.0.0.2:2", "10.0.0.1:1", "10.0.0.4:4"}));
}

BOOST_AUTO_TEST_CASE(keys_switch_views_sort_and_help)
{
    nsk::ScreenOptions o;
    using nsk::KeyAction;
    BOOST_TEST((nsk::apply_key(o, 's') == KeyAction::redraw && o.view == nsk::ScreenView::send));
    BOOST_TEST((nsk::apply_key(o, 'd') == KeyAction::redraw && o.view == nsk::ScreenView::drops));
    BOOST_TEST(
        (nsk::apply_key(o, '\t') == KeyAction::redraw && o.view == nsk::ScreenView::receive));
    BOOST_TEST((nsk::apply_key(o, '\t'), o.view == nsk::ScreenView::send));
    BOOST_TEST((nsk::apply_key(o, 'r'), o.view == nsk::ScreenView::receive));
    BOOST_TEST((o.sort == nsk::SortKey::drops && !o.ascending));
    nsk::apply_key(o, '>');
    BOOST_TEST((o.sort == nsk::SortKey::queue_p99));
    nsk::apply_key(o, '<');
    nsk::apply_key(o, '<');
    BOOST_TEST((o.sort == nsk::SortKey::tx));
    for (int i = 0; i < 4; ++i) // rx, pid, local, send p99
        nsk::apply_key(o, '<');
    BOOST_TEST((o.sort == nsk::SortKey::send_p99)); // wraps around
    nsk::apply_key(o, 'i');
    BOOST_TEST(o.ascending);
    BOOST_TEST((nsk::apply_key(o, 'h') == KeyAction::redraw && o.help));
    BOOST_TEST((nsk::apply_key(o, 's') == KeyAction::redraw && !o.help)); // any key leaves help
    BOOST_TEST((o.view == nsk::ScreenView::receive));
    BOOST_TEST((nsk::apply_key(o, 'z') == KeyAction::none));
    BOOST_TEST((nsk::apply_key(o, 'q') == KeyAction::quit));
}

BOOST_AUTO_TEST_CASE(views_show_their_own_sections)
{
    const auto run = synth::synth_rcvbuf_run({}, true);
    nsk::ScreenOptions o;
    o.width = 120;
    o.height = 40;
    o.footer = true;
    auto text = nsk::render_screen(run.summary, o);
    auto lines = lines_of(text);
    BOOST_TEST(lines.size() == 40u); // the footer on the last row
    BOOST_TEST(lines.back().rfind("[receive] send drops  sort: drops↓", 0) == 0);
    BOOST_TEST(text.find("rx journeys:") != std::string::npos);
    BOOST_TEST(text.find("DROPS↓") != std::string::npos);

    o.view = nsk::ScreenView::send;
    text = nsk::render_screen(run.summary, o);
    BOOST_TEST(text.find("tx journeys:") != std::string::npos);
    BOOST_TEST(text.find("SEND p99") != std::string::npos);
    BOOST_TEST(text.find("queue)") == std::string::npos); // no receive stage
    BOOST_TEST(lines_of(text).back().rfind("receive [send] drops", 0) == 0);

    o.view = nsk::ScreenView::drops;
    text = nsk::render_screen(run.summary, o);
    BOOST_TEST(text.find("Drops by reason and location") != std::string::npos);
    BOOST_TEST(text.find("__udp_enqueue_schedule_skb") != std::string::npos);
    BOOST_TEST(text.find("Udp.RcvbufErrors +16") != std::string::npos);
    BOOST_TEST(text.find("Sockets with drops") != std::string::npos);
    BOOST_TEST(text.find("127.0.0.1:9001") == std::string::npos); // no drops: not listed
    BOOST_TEST(text.find("Busiest stages") == std::string::npos);

    o.help = true;
    text = nsk::render_screen(run.summary, o);
    BOOST_TEST(text.find("netstack-kmon live: keys") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_page_too_tall_says_what_was_cut)
{
    const auto run = synth::synth_rcvbuf_run({}, true);
    nsk::ScreenOptions o;
    o.width = 30;
    o.height = 5;
    o.footer = true;
    const auto lines = lines_of(nsk::render_screen(run.summary, o));
    BOOST_REQUIRE(lines.size() == 5u);
    BOOST_TEST(lines[3].find("more lines") != std::string::npos);
    BOOST_TEST(lines[4].rfind("[receive]", 0) == 0);
    for (const auto &l : lines)
        BOOST_TEST(nsk::display_width(l) <= 30u);
    o.color = true; // the footer bar spans the row; colours take no room
    const auto colored = lines_of(nsk::render_screen(run.summary, o));
    BOOST_TEST(nsk::display_width(colored.back()) == 30u);
    BOOST_TEST(colored.back().find("\033[7m") == 0u);
}

BOOST_AUTO_TEST_CASE(frames_are_painted_in_place)
{
    // home, each line then clear to its end, rows below cleared; no full clear, no scroll
    BOOST_TEST(nsk::paint_frame("ab\ncd\n", 10, 5) == "\033[Hab\033[K\r\ncd\033[K\r\n\033[J");
    // a full-width line is not followed by clear-to-end (it would erase its last column); the
    // last row gets no line break
    BOOST_TEST(nsk::paint_frame("abc\nxyz\n", 3, 2) == "\033[Habc\r\nxyz");
    // more lines than rows: cut
    BOOST_TEST(nsk::paint_frame("a\nb\nc\n", 5, 2) == "\033[Ha\033[K\r\nb\033[K");
    BOOST_TEST(nsk::display_width("\033[1;31mred\033[0m") == 3u);
}
