#define BOOST_TEST_MODULE reorder
#include <boost/test/unit_test.hpp>

#include "synth.hpp"

#include "nsk/reorder.hpp"

using namespace synth;

BOOST_AUTO_TEST_CASE(releases_in_timestamp_order_after_window)
{
    nsk::ReorderBuffer rb(100);
    std::vector<std::uint64_t> got;
    auto sink = [&](const nsk::Record &r) { got.push_back(r.ev.ts_ns); };
    rb.push(ev(NSK_PROBE_IP_RCV, 1, 50, 1));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 10, 2));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 30, 3));
    rb.release(sink);
    BOOST_TEST(got.empty()); // max 50 - window 100 < everything
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 145, 4));
    rb.release(sink); // watermark 45: releases 10, 30
    BOOST_TEST((got == std::vector<std::uint64_t>{10, 30}));
    rb.push(ev(NSK_PROBE_IP_RCV, 2, 20, 5)); // late: older than something released
    BOOST_TEST(rb.late() == 1u);
    rb.flush(sink);
    BOOST_TEST((got == std::vector<std::uint64_t>{10, 30, 20, 50, 145}));
    BOOST_TEST(rb.size() == 0u);
}

BOOST_AUTO_TEST_CASE(ties_break_by_cpu_then_seq)
{
    nsk::ReorderBuffer rb(0);
    std::vector<std::pair<std::uint32_t, std::uint64_t>> got;
    auto a = ev(NSK_PROBE_IP_RCV, 1, 10, 1);
    a.seq = 5;
    auto b = ev(NSK_PROBE_IP_RCV, 0, 10, 2);
    b.seq = 9;
    auto c = ev(NSK_PROBE_IP_RCV, 0, 10, 3);
    c.seq = 8;
    rb.push(a);
    rb.push(b);
    rb.push(c);
    rb.flush([&](const nsk::Record &r) { got.emplace_back(r.cpu, r.seq); });
    BOOST_TEST(
        (got == std::vector<std::pair<std::uint32_t, std::uint64_t>>{{0, 8}, {0, 9}, {1, 5}}));
}

BOOST_AUTO_TEST_CASE(release_until_watermark)
{
    nsk::ReorderBuffer rb(1000);
    int n = 0;
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 10, 1));
    rb.push(ev(NSK_PROBE_IP_RCV, 0, 20, 2));
    rb.release_until(15, [&](const nsk::Record &) { ++n; });
    BOOST_TEST(n == 1);
    BOOST_TEST(rb.size() == 1u);
}
