#define BOOST_TEST_MODULE pipeline
#include <boost/test/unit_test.hpp>

#include "synth.hpp"

#include "nsk/pipeline.hpp"

using namespace synth;

namespace {

// Ten datagrams to 127.0.0.1:9000 at 10 us + i us; i = 2, 5, 8 are refused (kfree_skb right
// after the enqueue).  On CPU 0, one batch per datagram.
void feed(Feeder &f, int from, int to)
{
    for (int i = from; i < to; ++i) {
        const std::uint64_t t = 10'000 + static_cast<std::uint64_t>(i) * 1000;
        const std::uint64_t skb = 100 + static_cast<std::uint64_t>(i);
        std::vector<nsk::Record> b{
            sock(ev(NSK_PROBE_UDP_ENQUEUE, 0, t, skb, 0xA1), "127.0.0.1", 9000)};
        if (i % 3 == 2)
            b.push_back(drop(NSK_PROBE_KFREE_SKB, 0, t + 10, skb, "SOCKET_RCVBUFF",
                             "__udp_enqueue_schedule_skb+0x1c2/0x2d0"));
        f.send(0, b);
    }
}

nsk::PipelineOptions window(std::uint64_t ns)
{
    nsk::PipelineOptions o;
    o.reorder_window_ns = ns;
    return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(tally_counts_processed_records)
{
    nsk::Pipeline p(window(0));
    Feeder f(p);
    feed(f, 0, 10);
    p.finish(f.sent());
    const auto t = nsk::tally(p.correlator());
    BOOST_TEST(t.events == 13u);
    BOOST_TEST(t.rx_packets == 7u);
    BOOST_TEST(t.drops == 3u);
    BOOST_TEST(t.tx_packets == 0u);
}

// The governor's change arrives while the reorder window still holds the records around it:
// the split is exact, in event time.
BOOST_AUTO_TEST_CASE(cut_splits_in_event_time)
{
    nsk::Pipeline p(window(1'000'000));
    Feeder f(p);
    feed(f, 0, 3);
    p.cut(15'000); // between datagram 4 (14 us) and 5 (15 us)
    feed(f, 3, 10);
    auto ps = p.periods();
    BOOST_REQUIRE(ps.size() == 2u);
    BOOST_TEST(ps[0].counts.events == 0u); // nothing processed yet: all in the window
    BOOST_TEST(ps[1].counts.events == 0u);
    p.finish(f.sent());
    ps = p.periods();
    BOOST_REQUIRE(ps.size() == 2u);
    BOOST_TEST(ps[0].from_ts == 0u);
    BOOST_TEST(ps[1].from_ts == 15'000u);
    BOOST_TEST(ps[0].exact);
    BOOST_TEST(ps[1].exact);
    BOOST_TEST(ps[0].counts.events == 6u); // 0..4, drop of 2
    BOOST_TEST(ps[0].counts.rx_packets == 4u);
    BOOST_TEST(ps[0].counts.drops == 1u);
    BOOST_TEST(ps[1].counts.events == 7u); // 5..9, drops of 5 and 8
    BOOST_TEST(ps[1].counts.rx_packets == 3u);
    BOOST_TEST(ps[1].counts.drops == 2u);
}

// An interval report while the cut is still ahead of processing: everything so far belongs to
// the first period, the second has nothing yet.
BOOST_AUTO_TEST_CASE(pending_cut_has_nothing_yet)
{
    nsk::Pipeline p(window(3000));
    Feeder f(p);
    feed(f, 0, 10); // newest ts 19 000: released below 16 000
    p.cut(17'000);
    const auto ps = p.periods();
    BOOST_REQUIRE(ps.size() == 2u);
    BOOST_TEST(ps[0].counts.events == 8u); // datagrams 0..5 and the drops of 2 and 5
    BOOST_TEST(ps[1].counts.events == 0u);
    BOOST_TEST(ps[1].exact);
}

// The change arrives after records beyond it were processed: split where processing is, and
// say it is not exact.
BOOST_AUTO_TEST_CASE(late_cut_is_marked_inexact)
{
    nsk::Pipeline p(window(0));
    Feeder f(p);
    feed(f, 0, 10); // released up to 18 us (the last record waits for a newer one)
    p.cut(12'000);
    p.finish(f.sent());
    const auto ps = p.periods();
    BOOST_REQUIRE(ps.size() == 2u);
    BOOST_TEST(!ps[1].exact);
    BOOST_TEST(ps[1].from_ts == 12'000u);
    BOOST_TEST(ps[0].counts.events == 12u); // all but datagram 9's enqueue
    BOOST_TEST(ps[1].counts.events == 1u);
    BOOST_TEST(ps[0].counts.events + ps[1].counts.events == 13u);
}

namespace {
// n datagrams to 127.0.0.1:9000 on one CPU, 1 us apart from t0, one batch each.
void feed_cpu(Feeder &f, std::uint32_t cpu, std::uint64_t t0, int n, std::uint64_t skb0)
{
    for (int i = 0; i < n; ++i)
        f.send(cpu, {sock(ev(NSK_PROBE_UDP_ENQUEUE, cpu, t0 + static_cast<std::uint64_t>(i) * 1000,
                             skb0 + static_cast<std::uint64_t>(i), 0xA1),
                          "127.0.0.1", 9000)});
}
} // namespace

// A tick while the events socket still holds records (the reader lags) releases nothing by
// the wall clock: the batches still unread (here CPU 1's) are older than `now`, and releasing
// CPU 0's newer records past them made every one of them late (issue 16: scenario 51 on the
// debug kernel, 213 late records).  Once the reader has caught up, the tick releases as before.
BOOST_AUTO_TEST_CASE(tick_waits_for_a_reader_behind_its_socket)
{
    nsk::Pipeline p(window(1'000'000)); // 1 ms; the idle slack adds 1 s
    Feeder f(p);
    feed_cpu(f, 0, 20'000, 5, 200); // CPU 0's batch: 20..24 us
    const std::uint64_t now = 10'000'000'000ULL; // 10 s later by the wall clock
    p.tick(now, true);
    BOOST_TEST(p.reorder().size() == 5u); // nothing released
    feed_cpu(f, 1, 10'000, 5, 100); // CPU 1's, still in the socket at the tick: 10..14 us
    BOOST_TEST(p.reorder().late() == 0u);
    p.tick(now, false); // caught up: the wall clock releases everything older than 8.999 s
    BOOST_TEST(p.reorder().size() == 0u);
    p.finish(f.sent());
    BOOST_TEST(p.reorder().late() == 0u);
    BOOST_TEST(nsk::tally(p.correlator()).events == 10u);
}

// The same tick for a reader that had read everything: CPU 0's records are released, and
// CPU 1's older batch that arrives after that is late (applied out of order, counted).
BOOST_AUTO_TEST_CASE(tick_of_a_caught_up_reader_releases_by_the_wall_clock)
{
    nsk::Pipeline p(window(1'000'000));
    Feeder f(p);
    feed_cpu(f, 0, 20'000, 5, 200);
    p.tick(10'000'000'000ULL, false);
    BOOST_TEST(p.reorder().size() == 0u);
    feed_cpu(f, 1, 10'000, 5, 100);
    p.finish(f.sent());
    BOOST_TEST(p.reorder().late() == 5u);
    BOOST_TEST(nsk::tally(p.correlator()).events == 10u);
}
