#define BOOST_TEST_MODULE summary
#include <boost/test/unit_test.hpp>

#include "nsk/summary.hpp"

namespace {

nsk::GovernorChange change(std::uint64_t ts, std::uint32_t from, std::uint32_t to)
{
    nsk::GovernorChange c;
    c.ts_ns = ts;
    c.from = from;
    c.to = to;
    c.rate = 9000;
    c.budget = 5000;
    return c;
}

nsk::Period period(std::uint64_t from, std::uint64_t events, std::uint64_t rx, std::uint64_t drops,
                   bool exact = true)
{
    nsk::Period p;
    p.from_ts = from;
    p.counts.events = events;
    p.counts.rx_packets = rx;
    p.counts.drops = drops;
    p.exact = exact;
    return p;
}

} // namespace

BOOST_AUTO_TEST_CASE(not_sampled_no_estimate)
{
    nsk::SamplingInfo si;
    si.recorded = true;
    BOOST_TEST(!si.sampled());
    BOOST_TEST((si.divisors() == std::vector<std::uint32_t>{1}));
    const auto e = nsk::estimate(si, {period(0, 10, 5, 1)});
    BOOST_TEST(!e.available);
    BOOST_TEST(e.note.empty());
}

BOOST_AUTO_TEST_CASE(configured_sampling_scales_by_one_factor)
{
    nsk::SamplingInfo si;
    si.recorded = true;
    si.configured = si.start = 10;
    BOOST_TEST(si.sampled());
    const auto e = nsk::estimate(si, {period(0, 1200, 1190, 3)});
    BOOST_TEST(e.available);
    BOOST_REQUIRE(e.factor.has_value());
    BOOST_TEST(*e.factor == 10u);
    BOOST_TEST(e.exact);
    BOOST_TEST(e.scaled.events == 12000u);
    BOOST_TEST(e.scaled.rx_packets == 11900u);
    BOOST_TEST(e.scaled.drops == 30u);
    BOOST_TEST(e.note == "measured x 10 (1 flow in 10 sampled); flows are kept or dropped whole, "
                         "so with few flows the error is large");
}

// The governor raised 1 -> 2 -> 4 and lowered back to 2: each period by its own divisor.
BOOST_AUTO_TEST_CASE(governor_periods_scale_by_their_own_divisor)
{
    nsk::SamplingInfo si;
    si.recorded = true;
    si.budget = 5000;
    si.changes = {change(100, 1, 2), change(200, 2, 4), change(300, 4, 2)};
    si.kernel_changes = 3;
    BOOST_TEST(si.sampled());
    BOOST_TEST((si.divisors() == std::vector<std::uint32_t>{1, 2, 4}));
    BOOST_TEST(si.missed() == 0u);
    const auto e = nsk::estimate(si, {period(0, 100, 50, 1), period(100, 60, 30, 2),
                                      period(200, 20, 10, 0), period(300, 40, 20, 1)});
    BOOST_TEST(e.available);
    BOOST_TEST(!e.factor.has_value());
    BOOST_TEST(e.scaled.events == 100u + 120u + 80u + 80u);
    BOOST_TEST(e.scaled.rx_packets == 50u + 60u + 40u + 40u);
    BOOST_TEST(e.scaled.drops == 1u + 4u + 0u + 2u);
    BOOST_TEST(e.note == "each period scaled by its own divisor (1/1, 1/2, 1/4); flows are kept or "
                         "dropped whole, so with few flows the error is large");
}

BOOST_AUTO_TEST_CASE(inexact_split_is_said)
{
    nsk::SamplingInfo si;
    si.recorded = true;
    si.changes = {change(100, 1, 2)};
    const auto e = nsk::estimate(si, {period(0, 10, 0, 0), period(100, 10, 0, 0, false)});
    BOOST_TEST(e.available);
    BOOST_TEST(!e.exact);
    BOOST_TEST(e.scaled.events == 30u);
    BOOST_TEST(e.note == "each period scaled by its own divisor (1/1, 1/2); flows are kept or "
                         "dropped whole, so with few flows the error is large; approximate: a "
                         "change arrived after records of its period were processed");
}

// A governor message lost on the way: the periods are unknown, so no estimate at all.
BOOST_AUTO_TEST_CASE(missed_change_means_no_estimate)
{
    nsk::SamplingInfo si;
    si.recorded = true;
    si.changes = {change(100, 1, 2)};
    si.kernel_changes = 2;
    BOOST_TEST(si.missed() == 1u);
    const auto e = nsk::estimate(si, {period(0, 10, 0, 0), period(100, 10, 0, 0)});
    BOOST_TEST(!e.available);
    BOOST_TEST(e.note == "no estimate: the kernel changed the divisor 2 times, this tool received "
                         "1 of the changes, so the periods are unknown");
}

// A capture from before the governor was recorded, taken with --sample 1/4.
BOOST_AUTO_TEST_CASE(unrecorded_governor_is_said)
{
    nsk::SamplingInfo si;
    si.configured = si.start = 4;
    const auto e = nsk::estimate(si, {period(0, 10, 8, 1)});
    BOOST_TEST(e.available);
    BOOST_TEST(e.scaled.rx_packets == 32u);
    BOOST_TEST(e.note == "measured x 4 (1 flow in 4 sampled); flows are kept or dropped whole, so "
                         "with few flows the error is large; this capture does not record the "
                         "governor's decisions: if it changed the divisor, the estimate is wrong");
}
