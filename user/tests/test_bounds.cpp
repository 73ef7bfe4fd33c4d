// The correlator's and the reconciler's bounds for long runs (issue 16): every table has a
// bound and an age, what leaves it is counted, and totals stay exact; per-interval work is
// linear in the number of sockets.
#define BOOST_TEST_MODULE bounds
#include <boost/test/unit_test.hpp>

#include "synth.hpp"

#include "nsk/report.hpp"
#include "nsk/summary.hpp"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

using namespace synth;
using nsk::Pipeline;
using nsk::Record;

namespace {

constexpr std::uint16_t ENQ = NSK_PROBE_UDP_ENQUEUE;
constexpr std::uint16_t DEQ = NSK_PROBE_UDP_DEQUEUE;
constexpr std::uint16_t FAILQ = NSK_PROBE_UDP_FAIL_QUEUE;
constexpr std::uint64_t MS = 1'000'000, S = 1'000'000'000;

nsk::PipelineOptions opts(std::uint64_t max_sockets, std::uint64_t socket_age_ns,
                          std::uint64_t max_journeys, std::uint64_t queued_age_ns)
{
    nsk::PipelineOptions o;
    o.correlator.max_sockets = max_sockets;
    o.correlator.socket_age_ns = socket_age_ns;
    o.correlator.max_journeys = max_journeys;
    o.correlator.queued_age_ns = queued_age_ns;
    return o;
}

/// "10.1.x.y" for socket number i (distinct local addresses).
std::string addr_of(std::uint64_t i)
{
    char b[32];
    std::snprintf(b, sizeof b, "10.1.%u.%u", static_cast<unsigned>(i / 250),
                  static_cast<unsigned>(i % 250 + 1));
    return b;
}

/// One UDP datagram to socket `sk` (local addr:9000, inode `ino`), read by pid 42 5 µs later.
void delivered(std::vector<Record> &out, std::uint64_t t, std::uint64_t skb, std::uint64_t sk,
               const std::string &addr, std::uint32_t ino)
{
    rx_to_socket(out, 0, t, skb, sk, addr.c_str(), 9000, ino);
    out.push_back(task(sock(ev(DEQ, 0, t + 9000, skb, sk), addr.c_str(), 9000, ino), 42, "app"));
}

std::uint64_t rx_total(const nsk::Summary &s)
{
    std::uint64_t n = 0;
    for (const auto *rows : {&s.sockets, &s.sockets_pruned})
        for (const auto &r : *rows)
            n += r.rx_packets;
    return n;
}

/// `n` sockets, one delivered datagram each, `gap_ns` apart from 1 s on; returns the most
/// socket rows the table held after any of them.
std::size_t new_sockets(Pipeline &p, Feeder &f, std::uint64_t n, std::uint64_t gap_ns)
{
    std::size_t most = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        std::vector<Record> recs;
        delivered(recs, S + i * gap_ns, 0x1000 + i, 0x5000 + i, addr_of(i),
                  static_cast<std::uint32_t>(100 + i));
        f.send(0, recs);
        most = std::max(most, p.correlator().socket_entries());
    }
    return most;
}

} // namespace

// 1000 sockets, one datagram each, 10 ms apart; the table keeps at most 100 rows.  The rows
// that go are folded into the aggregate: rows + aggregate = every datagram, every socket.
BOOST_AUTO_TEST_CASE(max_sockets_folds_into_the_aggregate_and_totals_stay_exact)
{
    Pipeline p(opts(100, 600 * S, 1'000'000, 600 * S));
    Feeder f(p);
    constexpr std::uint64_t N = 1000;
    const std::size_t most = new_sockets(p, f, N, 10 * MS);
    // Checked at every sweep (1 s of event time = 100 sockets here): never more than the
    // bound plus one second's new sockets.
    BOOST_TEST(most <= 200u);
    const auto &c = f.finish();
    const auto s = nsk::build_summary(p, {});
    BOOST_TEST(c.rx_journeys().complete == N);
    BOOST_TEST(s.sockets.size() + c.pruned_sockets().sockets() == N);
    BOOST_TEST(c.pruned_sockets().sockets() >= N - 200);
    BOOST_TEST(s.sockets.size() <= 100u); // the final report honours the bound exactly
    BOOST_TEST(rx_total(s) == N);
    BOOST_REQUIRE(s.sockets_pruned.size() == 1u); // one (udp, IPv4, netns) group
    BOOST_TEST(s.sockets_pruned[0].proto == "udp");
    BOOST_TEST(s.sockets_pruned[0].pruned_sockets == c.pruned_sockets().sockets());
    BOOST_TEST(s.sockets_pruned[0].queue.count() == s.sockets_pruned[0].rx_packets);
    // The tally (sampling estimates) counts the pruned sockets too.
    BOOST_TEST(nsk::tally(c).rx_packets == N);
    const auto j = nsk::summary_json(s, "summary", std::nullopt);
    BOOST_TEST(j["sockets_pruned"]["sockets"].template get<std::uint64_t>() ==
               c.pruned_sockets().sockets());
    BOOST_TEST(j["sockets_pruned"]["groups"][0]["rx_packets"].template get<std::uint64_t>() ==
               s.sockets_pruned[0].rx_packets);
}

// Churn faster than the sweep: 1000 sockets within 0.1 s of event time (no sweep falls due).
// The table is pruned back whenever it passes its bound by a quarter, and the final report
// keeps exactly the bound; totals stay exact.
BOOST_AUTO_TEST_CASE(churn_between_sweeps_stays_near_the_bound)
{
    Pipeline p(opts(100, 600 * S, 1'000'000, 600 * S));
    Feeder f(p);
    constexpr std::uint64_t N = 1000;
    const std::size_t most = new_sockets(p, f, N, 100'000);
    BOOST_TEST(most <= 100u + 100u / 4 + 16 + 1); // (+1: the socket that crossed it)
    const auto &c = f.finish();
    const auto s = nsk::build_summary(p, {});
    BOOST_TEST(s.sockets.size() == 100u);
    BOOST_TEST(c.pruned_sockets().sockets() == N - 100);
    BOOST_TEST(rx_total(s) == N);
    BOOST_TEST(c.rx_journeys().complete == N);
}

// A socket without an event for longer than --socket-age leaves the table; its counts stay.
BOOST_AUTO_TEST_CASE(idle_socket_is_aged_out_with_its_counts)
{
    Pipeline p(opts(65'536, 5 * S, 1'000'000, 600 * S));
    Feeder f(p);
    std::vector<Record> recs;
    delivered(recs, S, 0x10, 0xA1, "10.9.9.9", 501);
    recs.push_back(drop(FAILQ, 0, S + 20'000, 0, "", "", 0xA1)); // a buffer event on it too
    for (std::uint64_t i = 0; i < 20; ++i) // another socket stays busy for 20 s
        delivered(recs, 2 * S + i * S, 0x100 + i, 0xB2, "10.8.8.8", 502);
    f.send(0, recs);
    const auto &c = f.finish();
    BOOST_TEST(c.pruned_sockets().sockets() == 1u);
    const auto s = nsk::build_summary(p, {});
    BOOST_REQUIRE(s.sockets.size() == 1u);
    BOOST_TEST(s.sockets[0].local == "10.8.8.8:9000");
    BOOST_REQUIRE(s.sockets_pruned.size() == 1u);
    BOOST_TEST(s.sockets_pruned[0].rx_packets == 1u);
    BOOST_TEST(s.sockets_pruned[0].dequeued == 1u);
    BOOST_TEST(s.sockets_pruned[0].fail_queue_events == 1u);
    BOOST_TEST(rx_total(s) == 21u);
}

// A datagram queued to a socket whose reader never reads: before the bound it stayed open
// forever; now it is evicted after --queued-age, counted as incomplete and as evicted.
BOOST_AUTO_TEST_CASE(queued_journey_is_evicted_after_the_queued_age)
{
    Pipeline p(opts(65'536, 600 * S, 1'000'000, 5 * S));
    Feeder f(p);
    std::vector<Record> recs;
    rx_to_socket(recs, 0, S, 0x77, 0xC1, "10.7.7.7", 9000, 600); // never read
    for (std::uint64_t i = 0; i < 20; ++i)
        delivered(recs, 2 * S + i * S, 0x100 + i, 0xB2, "10.8.8.8", 502);
    f.send(0, recs);
    p.tick(30 * S); // the idle tick sweeps too
    BOOST_TEST(p.correlator().open_journeys() == 0u);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().evicted == 1u);
    BOOST_TEST(c.rx_journeys().incomplete == 1u);
    BOOST_TEST(c.rx_journeys().queued_at_end == 0u);
    BOOST_TEST(c.rx_journeys().complete == 20u);
    const auto s = nsk::build_summary(p, {});
    BOOST_TEST(s.loss.evicted_journeys == 1u);
    BOOST_TEST(s.loss.incomplete_journeys == 1u);
    const auto j = nsk::summary_json(s, "summary", std::nullopt);
    BOOST_TEST(j["loss_detail"]["evicted_journeys"].template get<std::uint64_t>() == 1u);
    BOOST_TEST(j["journeys"]["rx"]["evicted"].template get<std::uint64_t>() == 1u);
}

// More journeys open than --max-journeys: the oldest are evicted at the next sweep.
BOOST_AUTO_TEST_CASE(max_journeys_evicts_the_oldest)
{
    Pipeline p(opts(65'536, 600 * S, 10, 600 * S));
    Feeder f(p);
    std::vector<Record> recs;
    constexpr std::uint64_t N = 100;
    for (std::uint64_t i = 0; i < N; ++i) // queued, never read, 20 ms apart: 2 s
        rx_to_socket(recs, 0, S + i * 20 * MS, 0x1000 + i, 0xD1, "10.6.6.6", 9000, 700);
    f.send(0, recs);
    p.tick(10 * S);
    BOOST_TEST(p.correlator().open_journeys() <= 10u);
    const auto &c = f.finish();
    const auto &n = c.rx_journeys();
    BOOST_TEST(n.evicted >= N - 10);
    BOOST_TEST(n.incomplete == n.evicted);
    BOOST_TEST(n.incomplete + n.queued_at_end == N);
}

// The per-interval socket work is linear: 20 000 TCP request sockets folded into their 20 000
// connections, and 20 000 UDP sockets matched to /proc/net/udp rows by address, three summaries
// in a row (a tick's work).  Quadratic, this took minutes; the bound below has a wide margin.
BOOST_AUTO_TEST_CASE(socket_work_per_tick_is_linear_in_sockets)
{
    constexpr std::uint64_t N = 20'000;
    Pipeline p(opts(1'000'000, 600 * S, 1'000'000, 600 * S));
    Feeder f(p);
    std::vector<Record> recs;
    nsk::ProcSnapshot base;
    base.base = true;
    for (std::uint64_t i = 0; i < N; ++i) {
        const std::string a = addr_of(i);
        const std::uint64_t t = S + i * 1000;
        // TCP: the connection's socket (inode) and its request socket (no inode, no task)
        Record owner = sock(ev(FAILQ, 0, t, 0, 0x100000 + i, IPPROTO_TCP), a.c_str(), 443,
                            static_cast<std::uint32_t>(1'000'000 + i));
        Record req = sock(ev(FAILQ, 0, t + 1, 0, 0x200000 + i, IPPROTO_TCP), a.c_str(), 443, 0);
        recs.push_back(owner);
        recs.push_back(req);
        // UDP: one queue drop each, no inode in the events (matched by tuple)
        recs.push_back(sock(ev(FAILQ, 0, t + 2, 0, 0x300000 + i), a.c_str(), 53, 0));
        nsk::ProcUdpEntry e;
        e.inode = static_cast<std::uint32_t>(2'000'000 + i);
        e.local = a + ":53";
        e.remote = "0.0.0.0:0";
        base.udp.push_back(e);
    }
    f.send(0, recs);
    f.finish();
    nsk::Reconciler rec(nullptr);
    rec.apply(base);
    nsk::ProcSnapshot later; // every UDP socket's drops column grew by 2
    for (auto e : base.udp) {
        e.drops = 2;
        later.udp.push_back(e);
    }
    rec.apply(later);

    const auto t0 = std::chrono::steady_clock::now();
    nsk::Summary s;
    for (int k = 0; k < 3; ++k) {
        s = nsk::build_summary(p, {});
        nsk::reconcile(s, rec);
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST_MESSAGE("3 summaries of " << 2 * N << " sockets: " << secs << " s");
    BOOST_TEST(secs < 5.0);
    BOOST_TEST(s.sockets.size() == 2 * N); // request sockets folded into their connections
    std::uint64_t with_delta = 0;
    for (const auto &r : s.sockets)
        if (r.proto == "udp" && r.kernel_drops_delta && *r.kernel_drops_delta == 2)
            ++with_delta;
    BOOST_TEST(with_delta == N);
}

// The reconciler keeps at most max_rows rows of sockets created during the run.
BOOST_AUTO_TEST_CASE(reconciler_rows_are_bounded)
{
    nsk::Reconciler rec(nullptr);
    rec.set_max_rows(100);
    nsk::ProcSnapshot base;
    base.base = true;
    for (std::uint32_t i = 0; i < 50; ++i) {
        nsk::ProcUdpEntry e;
        e.inode = 10 + i;
        e.local = "127.0.0.1:" + std::to_string(1000 + i);
        base.udp.push_back(e);
    }
    rec.apply(base);
    for (std::uint32_t k = 0; k < 10; ++k) { // 10 samples, 100 new sockets each
        nsk::ProcSnapshot s;
        for (std::uint32_t i = 0; i < 100; ++i) {
            nsk::ProcUdpEntry e;
            e.inode = 1000 + k * 100 + i;
            e.local = "127.0.0.2:" + std::to_string(e.inode);
            e.drops = 1;
            s.udp.push_back(e);
        }
        rec.apply(s);
        BOOST_TEST(rec.rows() <= 150u); // the baseline's 50 + the bound
    }
    BOOST_TEST(rec.evicted_rows() == 900u);
    BOOST_TEST(rec.drops_delta(1000u + 9 * 100).value_or(-1) == 1); // the newest are kept
    BOOST_TEST(!rec.drops_delta(1000u).has_value());                // the oldest went
    BOOST_TEST(rec.drops_delta(10u).value_or(-1) == 0);             // the baseline stays
}

// A TCP connection remembers at most 4096 sendmsg calls none of whose bytes was seen in a
// segment; the oldest beyond go, counted as sendmsg_without_skb.
BOOST_AUTO_TEST_CASE(tcp_send_calls_are_bounded_and_counted)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> recs;
    constexpr std::uint32_t N = 5000;
    for (std::uint32_t i = 0; i < N; ++i) { // 100-byte writes, no segment ever traced
        Record r =
            task(sock(ev(NSK_PROBE_TCP_SENDMSG_LOCKED, 0, S + i * 1000, 0, 0xE1, IPPROTO_TCP),
                      "10.5.5.5", 4000, 900),
                 77, "writer");
        r.ev.flags |= NSK_EF_SEQ;
        r.ev.seq = 1000 + i * 100;
        r.ev.payload = 100;
        recs.push_back(r);
    }
    f.send(0, recs);
    const auto &c = f.finish();
    BOOST_TEST(c.tx_journeys().sendmsg_without_skb == N - 4096);
}
