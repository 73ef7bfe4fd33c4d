#define BOOST_TEST_MODULE session
#include <boost/test/unit_test.hpp>

#include "synth_capture.hpp"

#include "nsk/report.hpp"
#include "nsk/session.hpp"

#include <sstream>

BOOST_AUTO_TEST_CASE(proc_snapshots_carry_only_changes_and_replay_exactly)
{
    auto proc = std::make_shared<synth::FakeProc>();
    proc->files["/proc/net/snmp"] = synth::snmp_text(0, 0);
    proc->files["/proc/net/udp"] = synth::udp_text(0);
    nsk::Reconciler live(proc);
    const auto base = live.read_start();
    live.apply(base);
    BOOST_TEST(base.base);
    BOOST_TEST(base.udp.size() == 2u);
    auto same = live.read_sample({});
    BOOST_TEST(same.udp.empty()); // nothing changed
    live.apply(same);
    proc->files["/proc/net/udp"] = synth::udp_text(5);
    proc->files["/proc/net/snmp"] = synth::snmp_text(10, 5);
    const auto changed = live.read_sample({});
    BOOST_TEST(changed.udp.size() == 1u);
    live.apply(changed);

    // The same snapshots through JSON into a reconciler without /proc.
    nsk::Reconciler replayed(std::make_shared<synth::FakeProc>());
    for (const nsk::ProcSnapshot *s :
         {&base, static_cast<const nsk::ProcSnapshot *>(&same), &changed})
        replayed.apply(nsk::proc_from_json(nlohmann::json::parse(nsk::proc_json(*s).dump())));
    BOOST_TEST(*replayed.drops_delta(1111) == 5);
    BOOST_TEST(*replayed.drops_delta(2222) == 0);
    BOOST_TEST(replayed.counter_deltas() == live.counter_deltas());
    BOOST_TEST(replayed.counter_deltas().at("Udp.RcvbufErrors") == 5);
    BOOST_TEST(*replayed.own_netns() == 4026531840U);
}

BOOST_AUTO_TEST_CASE(text_printer_matches_summary_text)
{
    const auto run = synth::synth_rcvbuf_run();
    nsk::TextOptions t;
    BOOST_TEST(run.text == nsk::summary_text(run.summary, t));
    BOOST_TEST(run.text.find("SOCKET_RCVBUFF") != std::string::npos);
    BOOST_TEST(run.text.find("loss: none") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_printer_writes_intervals_then_summary)
{
    const auto run = synth::synth_rcvbuf_run();
    BOOST_REQUIRE(run.json_lines.size() == 6u);
    for (int i = 0; i < 5; ++i) {
        const auto j = nlohmann::json::parse(run.json_lines[static_cast<std::size_t>(i)]);
        BOOST_TEST(j["type"] == "interval");
        BOOST_TEST(j["interval_s"].get<double>() == 1.0);
        BOOST_TEST(j["duration_s"].get<double>() == i + 1.0);
    }
    BOOST_TEST(nlohmann::json::parse(run.json_lines.back())["type"] == "summary");
}

// A governor that keeps changing for weeks: the changes (and sampling periods) kept are
// bounded; the rest are counted, the estimate says why there is none, nothing is "missed".
BOOST_AUTO_TEST_CASE(governor_changes_are_bounded)
{
    nsk::CaptureHeader h;
    h.status.gov_budget = 1000;
    nsk::Session s(h, std::make_shared<synth::FakeProc>(), nullptr);
    const std::size_t n = nsk::SamplingInfo::kMaxChanges + 10;
    for (std::size_t i = 0; i < n; ++i) {
        nsk::GovernorChange c;
        c.ts_ns = 1000 + i;
        c.from = i % 2 ? 4 : 2;
        c.to = i % 2 ? 2 : 4;
        c.rate = 5000;
        c.budget = 1000;
        s.governor(0, c);
    }
    s.finish(2000 + n, {}, true, static_cast<std::uint32_t>(n));
    const nsk::Summary &sum = s.last();
    BOOST_TEST(sum.sampling.changes.size() == nsk::SamplingInfo::kMaxChanges);
    BOOST_TEST(sum.sampling.omitted == 10u);
    BOOST_TEST(sum.sampling.missed() == 0u); // every change the kernel counted was received
    BOOST_TEST(!sum.estimated.available);
    BOOST_TEST(sum.estimated.note.find("more than 65536") != std::string::npos);
    const auto j = nlohmann::json::parse(nsk::summary_json(sum).dump());
    BOOST_TEST(j["governor"]["changes_omitted"].get<int>() == 10);
    const std::string text = nsk::summary_text(sum);
    BOOST_TEST(text.find("earlier change(s) not listed") != std::string::npos);
    BOOST_TEST(text.find("10 more change(s) received and counted") != std::string::npos);
}
