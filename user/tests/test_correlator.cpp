#define BOOST_TEST_MODULE correlator
#include <boost/test/unit_test.hpp>

#include "synth.hpp"

#include "nsk/summary.hpp"

#include <algorithm>
#include <set>

using namespace synth;
using nsk::Pipeline;
using nsk::Record;

namespace {

constexpr std::uint16_t NETIF = NSK_PROBE_NETIF_RECEIVE_SKB;
constexpr std::uint16_t IPRCV = NSK_PROBE_IP_RCV;
constexpr std::uint16_t LOCAL = NSK_PROBE_IP_LOCAL_DELIVER;
constexpr std::uint16_t UDPRCV = NSK_PROBE_UDP_RCV;
constexpr std::uint16_t ENQ = NSK_PROBE_UDP_ENQUEUE;
constexpr std::uint16_t DEQ = NSK_PROBE_UDP_DEQUEUE;
constexpr std::uint16_t RECVMSG = NSK_PROBE_UDP_RECVMSG;
constexpr std::uint16_t CONSUME = NSK_PROBE_CONSUME_SKB;
constexpr std::uint16_t KFREE = NSK_PROBE_KFREE_SKB;
constexpr std::uint16_t FAILQ = NSK_PROBE_UDP_FAIL_QUEUE;

const nsk::StageStat *stage(const std::vector<nsk::StageStat> &v, std::uint16_t from,
                            std::uint16_t to)
{
    for (const auto &s : v)
        if (s.from == from && s.to == to)
            return &s;
    return nullptr;
}

nsk::SocketStats sock_by_id(const nsk::Correlator &c, std::uint64_t sk)
{
    for (const auto &s : c.sockets())
        if (s.sk_id == sk)
            return s;
    BOOST_FAIL("socket not reported");
    return {};
}

} // namespace

BOOST_AUTO_TEST_CASE(plain_unicast_journey)
{
    Pipeline p;
    Feeder f(p);
    constexpr int N = 100;
    std::vector<Record> cpu0, cpu1;
    packets(N, 1'000'000, 100'000, [&](std::uint64_t i, std::uint64_t t) {
        const std::uint64_t skb = 1000 + i;
        rx_to_socket(cpu0, 0, t, skb, 0xAA, "127.0.0.1", 9000, 0);
        cpu1.push_back(
            task(sock(ev(RECVMSG, 1, t + 5000, 0, 0xAA), "127.0.0.1", 9000, 777), 42, "app"));
        cpu1.push_back(
            task(sock(ev(DEQ, 1, t + 9000, skb, 0xAA), "127.0.0.1", 9000, 777), 42, "app"));
    });
    f.send(0, cpu0);
    f.send(1, cpu1);
    const auto &c = f.finish();

    BOOST_TEST(c.rx_journeys().complete == N);
    BOOST_TEST(c.rx_journeys().incomplete == 0u);
    BOOST_TEST(c.rx_journeys().dropped == 0u);
    BOOST_TEST(c.rx_journeys().partial == 0u);
    const auto st = c.stages();
    BOOST_TEST(st.size() == 5u);
    for (auto [a, b] : {std::pair{NETIF, IPRCV}, {IPRCV, LOCAL}, {LOCAL, UDPRCV}, {UDPRCV, ENQ}}) {
        const auto *s = stage(st, a, b);
        BOOST_REQUIRE(s);
        BOOST_TEST(s->path == "rx");
        BOOST_TEST(s->hist.count() == N);
        BOOST_TEST(s->hist.max() == 1000u);
        BOOST_TEST(s->hist.percentile(0.5) == 1000u);
    }
    const auto *q = stage(st, ENQ, DEQ);
    BOOST_REQUIRE(q);
    BOOST_TEST(q->path == "queue");
    BOOST_TEST(q->hist.count() == N);
    BOOST_TEST(c.total_rx().count() == N);
    BOOST_TEST(c.total_rx().max() == 4000u);
    BOOST_TEST(c.total_rx().percentile(0.99) == 4000u);
    BOOST_TEST(c.total_queue().count() == N);
    BOOST_TEST(c.total_queue().max() == 5000u);

    for (const char *name : {"netif_receive_skb", "ip_rcv", "ip_local_deliver", "udp_rcv",
                             "udp_enqueue", "udp_dequeue", "udp_recvmsg"})
        BOOST_TEST(c.probes_seen().at(name) == N);

    const auto socks = c.sockets();
    BOOST_REQUIRE(socks.size() == 1u);
    const auto &s = socks[0];
    BOOST_TEST(s.local == "127.0.0.1:9000");
    BOOST_TEST(s.remote == "0.0.0.0:0");
    BOOST_TEST(s.pid == 42u);
    BOOST_TEST(s.comm == "app");
    BOOST_TEST(s.sk_ino == 777u);
    BOOST_TEST(s.rx_packets() == N);
    BOOST_TEST(s.dequeued == N);
    BOOST_TEST(s.drops_total == 0u);
    BOOST_TEST(s.queue.count() == N);
    BOOST_TEST(s.netns == 4026531840U);

    const auto sum = nsk::build_summary(p, {});
    BOOST_TEST(sum.loss.netlink == 0u);
    BOOST_TEST(sum.loss.user == 0u);
    BOOST_TEST(sum.loss.incomplete_journeys == 0u);
    BOOST_TEST(!sum.loss.any());
}

BOOST_AUTO_TEST_CASE(skb_address_reuse)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0;
    // Same skb id, two complete journeys one after the other.
    for (std::uint64_t t : {1'000'000ULL, 2'000'000ULL}) {
        rx_to_socket(cpu0, 0, t, 7, 0xAA, "127.0.0.1", 9000);
        cpu0.push_back(task(ev(DEQ, 0, t + 9000, 7, 0xAA), 42, "app"));
    }
    // skb 8: starts, never finishes, then the address starts a new, complete journey.
    cpu0.push_back(ev(NETIF, 0, 3'000'000, 8));
    cpu0.push_back(ev(IPRCV, 0, 3'001'000, 8));
    rx_to_socket(cpu0, 0, 3'500'000, 8, 0xAA, "127.0.0.1", 9000);
    cpu0.push_back(task(ev(DEQ, 0, 3'509'000, 8, 0xAA), 42, "app"));
    f.send(0, cpu0);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().complete == 3u);
    BOOST_TEST(c.rx_journeys().incomplete == 1u);
    BOOST_TEST(c.rx_journeys().reused_before_end == 1u);
    BOOST_TEST(c.incomplete_loss() == 1u);
    BOOST_TEST(stage(c.stages(), NETIF, IPRCV)->hist.count() == 4u); // the reused one too
    BOOST_TEST(stage(c.stages(), IPRCV, LOCAL)->hist.count() == 3u);
    BOOST_TEST(sock_by_id(c, 0xAA).rx_packets() == 3u);
}

BOOST_AUTO_TEST_CASE(multicast_fanout_three_sockets_one_dropping)
{
    Pipeline p;
    Feeder f(p);
    constexpr int N = 50;
    std::vector<Record> cpu0, cpu1, cpu2;
    packets(N, 1'000'000, 50'000, [&](std::uint64_t i, std::uint64_t t) {
        const std::uint64_t P = 10000 + i;
        const std::uint64_t C1 = 20000 + i;
        const std::uint64_t C2 = 30000 + i;
        std::vector<Record> path;
        rx_path(path, 0, t, P);
        for (auto &r : path)
            dport(r, 9000, "239.1.1.1");
        cpu0.insert(cpu0.end(), path.begin(), path.end());
        // Clones for every socket but the last, then the original for the last one.
        cpu0.push_back(sock(ev(ENQ, 0, t + 4000, C1, 1), "239.1.1.1", 9000));
        cpu0.push_back(sock(ev(ENQ, 0, t + 5000, C2, 2), "239.1.1.1", 9000));
        cpu0.push_back(drop(KFREE, 0, t + 5100, C2, "SOCKET_RCVBUFF",
                            "__udp_enqueue_schedule_skb+0x1c2/0x2d0"));
        cpu0.push_back(sock(ev(FAILQ, 0, t + 5200, 0, 2), "239.1.1.1", 9000));
        cpu0.push_back(sock(ev(ENQ, 0, t + 6000, P, 3), "239.1.1.1", 9000));
        cpu1.push_back(
            task(sock(ev(DEQ, 1, t + 10000, C1, 1), "239.1.1.1", 9000, 101), 11, "fast1"));
        cpu2.push_back(
            task(sock(ev(DEQ, 2, t + 12000, P, 3), "239.1.1.1", 9000, 103), 33, "fast3"));
    });
    f.send(2, cpu2); // readers' batches first: the reorder stage must cope
    f.send(1, cpu1);
    f.send(0, cpu0);
    const auto &c = f.finish();

    BOOST_TEST(c.rx_journeys().complete == 2 * N);
    BOOST_TEST(c.rx_journeys().dropped == N);
    BOOST_TEST(c.rx_journeys().fanout_children == 2 * N);
    BOOST_TEST(c.rx_journeys().incomplete == 0u);
    BOOST_TEST(c.rx_journeys().partial == 0u);

    const auto s1 = sock_by_id(c, 1), s2 = sock_by_id(c, 2), s3 = sock_by_id(c, 3);
    BOOST_TEST(s1.rx_packets() == N);
    BOOST_TEST(s1.drops_total == 0u);
    BOOST_TEST(s1.pid == 11u);
    BOOST_TEST(s1.comm == "fast1");
    BOOST_TEST(s2.rx_packets() == 0u);
    BOOST_TEST(s2.drops_total == N);
    BOOST_TEST(s2.drops.at("SOCKET_RCVBUFF") == N);
    BOOST_TEST(s2.fail_queue_events == N);
    BOOST_TEST(s3.rx_packets() == N);
    BOOST_TEST(s3.drops_total == 0u);
    BOOST_TEST(s3.pid == 33u);
    BOOST_TEST(c.sockets().front().sk_id == 2u); // most drops first

    // Per delivered copy: every copy passed ip_rcv -> ip_local_deliver.
    BOOST_TEST(stage(c.stages(), IPRCV, LOCAL)->hist.count() == 3 * N);
    const auto stages = c.stages(); // (stages() returns a copy: keep it while pointing into it)
    const auto *enq = stage(stages, UDPRCV, ENQ);
    BOOST_TEST(enq->hist.count() == 3 * N);
    BOOST_TEST(enq->hist.min() == 1000u);
    BOOST_TEST(enq->hist.max() == 3000u);
    BOOST_TEST(c.probes_seen().at("ip_rcv") == N);
    BOOST_TEST(c.probes_seen().at("udp_enqueue") == 3 * N);
    BOOST_TEST(c.total_rx().count() == 2 * N); // the refused copies are not in totals.rx

    const auto drops = c.drops();
    BOOST_REQUIRE(drops.size() == 1u);
    BOOST_TEST(drops[0].reason == "SOCKET_RCVBUFF");
    BOOST_TEST(drops[0].location == "__udp_enqueue_schedule_skb+0x1c2");
    BOOST_TEST(drops[0].count == N);
    BOOST_TEST(drops[0].stage == "udp_enqueue");
    BOOST_TEST(drops[0].proto == "udp");
}

BOOST_AUTO_TEST_CASE(reordering_across_cpus)
{
    Pipeline p;
    Feeder f(p);
    constexpr int N = 20;
    std::vector<Record> cpu0, cpu1;
    packets(N, 5'000'000, 10'000, [&](std::uint64_t i, std::uint64_t t) {
        const std::uint64_t skb = 500 + i;
        rx_to_socket(cpu0, 0, t, skb, 0xBB, "127.0.0.1", 9001);
        cpu1.push_back(task(ev(DEQ, 1, t + 7000, skb, 0xBB), 7, "reader"));
    });
    // The dequeue batch from CPU1 arrives before the enqueue batch from CPU0.
    f.send(1, cpu1);
    f.send(0, cpu0);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().complete == N);
    BOOST_TEST(c.rx_journeys().partial == 0u);
    BOOST_TEST(c.rx_journeys().incomplete == 0u);
    BOOST_TEST(c.total_queue().count() == N);
    BOOST_TEST(c.total_queue().max() == 3000u);
    BOOST_TEST(c.total_queue().min() == 3000u);
    BOOST_TEST(p.reorder().late() == 0u);
}

BOOST_AUTO_TEST_CASE(sequence_gaps_give_exact_netlink_loss)
{
    Pipeline p;
    Feeder f(p);
    auto noise = [](std::uint16_t cpu, std::uint64_t t, int n) {
        std::vector<Record> v;
        for (int i = 0; i < n; ++i) // frees of skbs we never saw: ignored by journeys
            v.push_back(ev(CONSUME, cpu, t + static_cast<std::uint64_t>(i), 900000 + t + i));
        return v;
    };
    f.send(0, noise(0, 1000, 10));
    f.lose(0, 5); // a whole batch of 5 records lost
    f.send(0, noise(0, 2000, 5));
    f.send(1, noise(1, 3000, 3));
    f.lose(1, 2); // lost at the end: only the final counters tell
    // A duplicate (replayed) batch: seq below expected.
    auto dup = pack(noise(0, 4000, 2));
    p.on_batch(0, 3, 2, dup.data(), dup.size());
    p.on_enobufs();
    p.finish(f.sent()); // final "sent": cpu0 = 20, cpu1 = 5
    const auto s = nsk::build_summary(p, {});
    BOOST_TEST(s.loss.netlink == 7u);
    BOOST_TEST(s.loss.user == 2u);
    BOOST_TEST(s.loss.duplicate == 2u);
    BOOST_TEST(s.loss.enobufs == 1u);
    BOOST_TEST(s.events == 18u);
    BOOST_TEST(s.probes_seen.at("consume_skb") == 18u);
}

BOOST_AUTO_TEST_CASE(aging_makes_incomplete_but_not_queued)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0;
    cpu0.push_back(ev(NETIF, 0, 1'000'000'000, 1));
    cpu0.push_back(ev(IPRCV, 0, 1'000'001'000, 1));                   // never goes further
    rx_to_socket(cpu0, 0, 1'000'100'000, 2, 0xCC, "127.0.0.1", 9002); // never read
    cpu0.push_back(ev(CONSUME, 0, 12'000'000'000, 999));              // time passes: 11 s later
    cpu0.push_back(ev(CONSUME, 0, 13'000'000'000, 998));
    f.send(0, cpu0);
    // Before the end: skb 1 is aged out, skb 2 sits in the queue.
    p.tick(0);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().incomplete == 1u);
    BOOST_TEST(c.incomplete_loss() == 1u);
    BOOST_TEST(c.rx_journeys().queued_at_end == 1u);
    BOOST_TEST(c.rx_journeys().complete == 0u);
    BOOST_TEST(c.total_rx().count() == 1u);
    BOOST_TEST(sock_by_id(c, 0xCC).rx_packets() == 1u);
}

BOOST_AUTO_TEST_CASE(non_udp_tcp_journeys_are_not_reported)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0;
    rx_path(cpu0, 0, 1'000'000, 50, IPPROTO_SCTP);
    cpu0.push_back(ev(CONSUME, 0, 1'010'000, 50, 0, IPPROTO_SCTP));
    rx_path(cpu0, 0, 2'000'000, 51, IPPROTO_ICMP); // never finishes
    f.send(0, cpu0);
    const auto &c = f.finish();
    const auto &j = c.rx_journeys();
    BOOST_TEST(j.complete + j.incomplete + j.dropped + j.consumed + j.queued_at_end == 0u);
    BOOST_TEST(c.stages().empty());
    BOOST_TEST(c.incomplete_loss() == 0u);
    BOOST_TEST(c.total_rx().count() == 0u);
    BOOST_TEST(c.probes_seen().at("ip_rcv") == 2u);
}

BOOST_AUTO_TEST_CASE(consumed_without_listener)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0;
    rx_path(cpu0, 0, 1'000'000, 60);
    cpu0.push_back(ev(CONSUME, 0, 1'005'000, 60));
    f.send(0, cpu0);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().consumed == 1u);
    BOOST_TEST(c.rx_journeys().complete == 0u);
    BOOST_TEST(c.rx_journeys().incomplete == 0u);
}

BOOST_AUTO_TEST_CASE(fail_queue_only_socket_gets_a_row)
{
    Pipeline p;
    Feeder f(p);
    f.send(0, {sock(ev(FAILQ, 0, 1000, 0, 77), "127.0.0.1", 9100)});
    const auto &c = f.finish();
    const auto socks = c.sockets();
    BOOST_REQUIRE(socks.size() == 1u);
    BOOST_TEST(socks[0].fail_queue_events == 1u);
    BOOST_TEST(socks[0].drops_total == 0u);
    BOOST_TEST(socks[0].local == "127.0.0.1:9100");
}

BOOST_AUTO_TEST_CASE(peek_does_not_complete)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0;
    rx_to_socket(cpu0, 0, 1'000'000, 70, 0xDD, "127.0.0.1", 9003);
    auto peek = task(ev(DEQ, 0, 1'006'000, 70, 0xDD), 5, "peeker");
    peek.ev.len = static_cast<std::uint32_t>(-11);
    cpu0.push_back(peek);
    cpu0.push_back(task(ev(DEQ, 0, 1'008'000, 70, 0xDD), 5, "peeker"));
    f.send(0, cpu0);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().complete == 1u);
    BOOST_TEST(c.rx_journeys().partial == 0u);
    BOOST_TEST(sock_by_id(c, 0xDD).peeks == 1u);
    BOOST_TEST(c.total_queue().max() == 4000u);
}

BOOST_AUTO_TEST_CASE(free_after_queueing_is_not_a_queue_drop)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0, cpu1;
    rx_to_socket(cpu0, 0, 1'000'000, 80, 0xEE, "127.0.0.1", 9004);
    auto purge = drop(KFREE, 1, 2'000'000, 80, "NOT_SPECIFIED", "skb_queue_purge+0x20/0x40");
    purge.ev.ctx = NSK_CTX_TASK; // socket closed with the datagram still queued
    cpu1.push_back(purge);
    f.send(0, cpu0);
    f.send(1, cpu1);
    const auto &c = f.finish();
    const auto s = sock_by_id(c, 0xEE);
    BOOST_TEST(s.drops_total == 0u);
    BOOST_TEST(s.drops_after_queue == 1u);
    BOOST_TEST(s.rx_packets() == 1u);
    BOOST_TEST(c.rx_journeys().dropped == 1u);
    BOOST_TEST(c.drops().at(0).location == "skb_queue_purge+0x20");
}

BOOST_AUTO_TEST_CASE(orphan_enqueue_is_partial_not_a_clone)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0;
    // Unicast packet fully enqueued: it can no longer have clones.
    rx_to_socket(cpu0, 0, 1'000'000, 90, 0xA1, "127.0.0.1", 9000);
    cpu0.push_back(sock(ev(ENQ, 0, 1'005'000, 91, 0xA1), "127.0.0.1", 9000)); // earlier part lost
    // A packet at udp_rcv for port 9000, and an enqueue of another skb on port 53.
    rx_path(cpu0, 0, 2'000'000, 92);
    cpu0.push_back(sock(ev(ENQ, 0, 2'004'000, 93, 0xA2), "127.0.0.1", 53));
    f.send(0, cpu0);
    const auto &c = f.finish();
    const auto &j = c.rx_journeys();
    BOOST_TEST(j.fanout_children == 0u);
    BOOST_TEST(j.partial == 2u);
    BOOST_TEST(c.fanout_rejected() == 1u);
}

BOOST_AUTO_TEST_CASE(sock_rcvqueue_full_reason_carries_to_kfree)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> cpu0;
    rx_path(cpu0, 0, 1'000'000, 95);
    cpu0.push_back(sock(ev(NSK_PROBE_SOCK_QUEUE_RCV, 0, 1'004'000, 95, 0xA3), "127.0.0.1", 9005));
    cpu0.push_back(drop(NSK_PROBE_SOCK_RCVQUEUE_FULL, 0, 1'004'100, 95, "", "", 0xA3));
    cpu0.push_back(drop(KFREE, 0, 1'004'200, 95, "", "__udp_queue_rcv_skb+0x10/0x100"));
    f.send(0, cpu0);
    p.finish(f.sent());
    const auto s = sock_by_id(p.correlator(), 0xA3);
    BOOST_TEST(s.drops_total == 1u);
    BOOST_TEST(s.drops.at("SOCK_RCVQUEUE_FULL") == 1u);
    BOOST_TEST(s.rcvqueue_full_events == 1u);
    BOOST_TEST(p.correlator().drops().size() == 1u);
}

// --- send path and loopback end to end (issue 5) --------------------------------------------

namespace {

constexpr std::uint16_t SOCKSEND = NSK_PROBE_SOCK_SENDMSG;
constexpr std::uint16_t UDPSEND = NSK_PROBE_UDP_SENDMSG;
constexpr std::uint16_t UDP6SEND = NSK_PROBE_UDPV6_SENDMSG;
constexpr std::uint16_t IPQX = NSK_PROBE_IP_QUEUE_XMIT;
constexpr std::uint16_t IPOUT = NSK_PROBE_IP_OUTPUT;
constexpr std::uint16_t IPFIN = NSK_PROBE_IP_FINISH_OUTPUT2;
constexpr std::uint16_t IP6OUT = NSK_PROBE_IP6_OUTPUT;
constexpr std::uint16_t IP6FIN = NSK_PROBE_IP6_FINISH_OUTPUT2;
constexpr std::uint16_t DEVQ = NSK_PROBE_DEV_QUEUE_XMIT;
constexpr std::uint16_t XMIT = NSK_PROBE_DEV_HARD_START_XMIT;
constexpr std::uint16_t IP6RCV = NSK_PROBE_IPV6_RCV;
constexpr std::uint16_t IP6IN = NSK_PROBE_IP6_INPUT;
constexpr std::uint16_t UDP6RCV = NSK_PROBE_UDPV6_RCV;
constexpr std::uint16_t UDP6RECVMSG = NSK_PROBE_UDPV6_RECVMSG;

Record v6(Record r)
{
    r.ev.family = AF_INET6;
    std::memset(r.ev.saddr, 0, 16);
    std::memset(r.ev.daddr, 0, 16);
    r.ev.saddr[15] = 1;
    r.ev.daddr[15] = 1;
    if (r.ev.flags & NSK_EF_SOCK) {
        std::memset(r.ev.sk_laddr, 0, 16);
        std::memset(r.ev.sk_raddr, 0, 16);
        r.ev.sk_laddr[15] = 1;
    }
    return r;
}

/// A task-context event of thread `tid` (pid 500).
Record in_task(Record r, std::uint32_t tid)
{
    r = task(r, 500, "sender");
    r.ev.tid = tid;
    return r;
}

/// sk-only event (sendmsg): no packet tuple.
Record sk_only(Record r)
{
    r.ev.flags &= static_cast<std::uint8_t>(~NSK_EF_PKT);
    return r;
}

std::uint64_t bucket_count(const nsk::Histogram &h, std::uint64_t lower)
{
    for (const auto &b : h.nonempty())
        if (b.lower_ns == lower)
            return b.count;
    return 0;
}

/// One datagram: sendmsg (task `tid`, cpu) -> driver -> loopback -> queue -> read.  Send stages
/// 1 µs apart (total tx 5 µs), loopback hop 2 µs, rx to enqueue 4 µs, read 8 µs after enqueue:
/// end to end = 5 + 2 + 4 + 8 = 19 µs.
void udp_loopback(std::vector<Record> &tx, std::vector<Record> &rx, std::uint16_t cpu,
                  std::uint64_t t, std::uint64_t skb, std::uint32_t tid, bool ipv6)
{
    auto fam = [&](Record r) { return ipv6 ? v6(r) : r; };
    const std::uint64_t ssk = 0x5E, rsk = 0xAA;
    tx.push_back(
        fam(in_task(sk_only(sock(ev(SOCKSEND, cpu, t, 0, ssk), "127.0.0.1", 40000)), tid)));
    tx.push_back(fam(in_task(
        sk_only(sock(ev(ipv6 ? UDP6SEND : UDPSEND, cpu, t + 1000, 0, ssk), "127.0.0.1", 40000)),
        tid)));
    tx.push_back(fam(in_task(
        sock(ev(ipv6 ? IP6OUT : IPOUT, cpu, t + 2000, skb, ssk), "127.0.0.1", 40000), tid)));
    tx.push_back(fam(in_task(ev(ipv6 ? IP6FIN : IPFIN, cpu, t + 3000, skb, ssk), tid)));
    tx.push_back(fam(in_task(ev(DEVQ, cpu, t + 4000, skb), tid)));
    tx.push_back(fam(in_task(ev(XMIT, cpu, t + 5000, skb), tid)));
    // loopback: the same skb is received in softirq
    tx.push_back(fam(ev(NETIF, cpu, t + 7000, skb)));
    tx.push_back(fam(ev(ipv6 ? IP6RCV : IPRCV, cpu, t + 8000, skb)));
    tx.push_back(fam(ev(ipv6 ? IP6IN : LOCAL, cpu, t + 9000, skb)));
    tx.push_back(fam(ev(ipv6 ? UDP6RCV : UDPRCV, cpu, t + 10000, skb)));
    tx.push_back(fam(sock(ev(ENQ, cpu, t + 11000, skb, rsk), "127.0.0.1", 9000)));
    rx.push_back(fam(
        task(sock(ev(ipv6 ? UDP6RECVMSG : RECVMSG, 3, t + 12000, 0, rsk), "127.0.0.1", 9000, 777),
             42, "app")));
    rx.push_back(
        fam(task(sock(ev(DEQ, 3, t + 19000, skb, rsk), "127.0.0.1", 9000, 777), 42, "app")));
}

void check_loopback_run(const nsk::Correlator &c, std::uint64_t n, const std::string &local)
{
    const auto &tx = c.tx_journeys();
    BOOST_TEST(tx.complete == n);
    BOOST_TEST(tx.with_sendmsg == n);
    BOOST_TEST(tx.incomplete == 0u);
    BOOST_TEST(tx.partial == 0u);
    BOOST_TEST(tx.sendmsg_without_skb == 0u);
    const auto &rx = c.rx_journeys();
    BOOST_TEST(rx.complete == n);
    BOOST_TEST(rx.incomplete == 0u);
    BOOST_TEST(rx.reused_before_end == 0u);
    BOOST_TEST(rx.looped == n);
    BOOST_TEST(c.incomplete_loss() == 0u);
    BOOST_TEST(c.total_tx().count() == n);
    BOOST_TEST(c.total_tx().summary().max_ns == 5000u);
    BOOST_TEST(bucket_count(c.total_tx(), 4096) == n);
    BOOST_TEST(c.total_end_to_end().count() == n);
    BOOST_TEST(c.total_end_to_end().summary().max_ns == 19000u);
    BOOST_TEST(bucket_count(c.total_end_to_end(), 16384) == n);
    BOOST_TEST(c.total_rx().count() == n);
    BOOST_TEST(c.total_queue().count() == n);
    int tx_rows = 0, lo_rows = 0;
    for (const auto &st : c.stages()) {
        BOOST_TEST(st.hist.count() == n);
        if (st.path == "tx") {
            ++tx_rows;
            BOOST_TEST(st.hist.summary().max_ns == 1000u);
        }
        if (st.path == "loopback") {
            ++lo_rows;
            BOOST_TEST(st.from == XMIT);
            BOOST_TEST(st.to == NETIF);
            BOOST_TEST(st.hist.summary().max_ns == 2000u);
        }
    }
    BOOST_TEST(tx_rows == 5);
    BOOST_TEST(lo_rows == 1);
    BOOST_TEST(c.stages().front().path == "tx"); // L5 -> L2 -> L2 -> L5
    const auto snd = sock_by_id(c, 0x5E);
    BOOST_TEST(snd.tx_packets == n);
    BOOST_TEST(snd.tx.count() == n);
    BOOST_TEST(snd.rx_packets() == 0u);
    BOOST_TEST(snd.comm == "sender");
    const auto rcv = sock_by_id(c, 0xAA);
    BOOST_TEST(rcv.rx_packets() == n);
    BOOST_TEST(rcv.tx_packets == 0u);
    BOOST_TEST(rcv.local == local);
}

} // namespace

BOOST_AUTO_TEST_CASE(udp_v4_send_loopback_receive_end_to_end)
{
    Pipeline p;
    Feeder f(p);
    constexpr int N = 50;
    std::vector<Record> cpu0, cpu3;
    for (int i = 0; i < N; ++i)
        udp_loopback(cpu0, cpu3, 0, 1'000'000 + static_cast<std::uint64_t>(i) * 100'000,
                     7000 + static_cast<std::uint64_t>(i % 3), 300, false); // skb addresses reused
    f.send(0, cpu0);
    f.send(3, cpu3);
    const auto &c = f.finish();
    check_loopback_run(c, N, "127.0.0.1:9000");
    BOOST_TEST(sock_by_id(c, 0xAA).family == AF_INET);
}

BOOST_AUTO_TEST_CASE(udp_v6_send_loopback_receive_end_to_end)
{
    Pipeline p;
    Feeder f(p);
    constexpr int N = 40;
    std::vector<Record> cpu1, cpu3;
    for (int i = 0; i < N; ++i)
        udp_loopback(cpu1, cpu3, 1, 1'000'000 + static_cast<std::uint64_t>(i) * 100'000,
                     9000 + static_cast<std::uint64_t>(i), 301, true);
    f.send(1, cpu1);
    f.send(3, cpu3);
    const auto &c = f.finish();
    check_loopback_run(c, N, "[::1]:9000");
    BOOST_TEST(sock_by_id(c, 0xAA).family == AF_INET6);
    BOOST_TEST(c.probes_seen().at("udpv6_sendmsg") == static_cast<std::uint64_t>(N));
}

// Waiting sendmsg stages live in a flat map and hand their visit vectors on (to the journey they
// start, or to the next sendmsg when they leave without an skb): every datagram still carries
// exactly its own sendmsg stages, and every sendmsg without an skb is counted once.
BOOST_AUTO_TEST_CASE(sendmsg_stages_reused_across_datagrams_stay_their_own)
{
    Pipeline p;
    Feeder f(p);
    constexpr int N = 300; // more than the vectors kept for reuse (256)
    std::vector<Record> cpu0;
    std::uint64_t unsent = 0;
    packets(N, 1'000'000, 50'000, [&](std::uint64_t i, std::uint64_t t) {
        const std::uint32_t tid = 100 + static_cast<std::uint32_t>(i % 7); // several tasks
        const std::uint64_t sk = 0x500 + i % 5, skb = 10'000 + i;
        if (i % 3 == 0) { // a sendmsg that makes no skb (error, cork): replaced by the next one
            cpu0.push_back(in_task(sk_only(sock(ev(SOCKSEND, 0, t, 0, sk), "0.0.0.0", 4000)), tid));
            ++unsent;
        }
        cpu0.push_back(
            in_task(sk_only(sock(ev(SOCKSEND, 0, t + 1000, 0, sk), "0.0.0.0", 4000)), tid));
        cpu0.push_back(
            in_task(sk_only(sock(ev(UDPSEND, 0, t + 1500, 0, sk), "0.0.0.0", 4000)), tid));
        cpu0.push_back(in_task(ev(IPOUT, 0, t + 3500, skb, sk), tid));
        cpu0.push_back(in_task(ev(XMIT, 0, t + 6500, skb), tid));
        if (i % 10 == 0) // a sendmsg left waiting (aged or ended without an skb)
            cpu0.push_back(in_task(
                sk_only(sock(ev(SOCKSEND, 0, t + 7000, 0, 0x900 + i), "0.0.0.0", 4000)), tid));
    });
    for (int i = 0; i < N; i += 10)
        ++unsent;
    f.send(0, cpu0);
    const auto &c = f.finish();
    BOOST_TEST(c.tx_journeys().complete == static_cast<std::uint64_t>(N));
    BOOST_TEST(c.tx_journeys().with_sendmsg == static_cast<std::uint64_t>(N));
    BOOST_TEST(c.tx_journeys().sendmsg_without_skb == unsent);
    BOOST_TEST(c.total_tx().count() == static_cast<std::uint64_t>(N));
    BOOST_TEST(c.total_tx().summary().max_ns == 5500u); // its own sendmsg, not the replaced one
    const auto stages = c.stages();
    const auto *a = stage(stages, SOCKSEND, UDPSEND);
    const auto *b = stage(stages, UDPSEND, IPOUT);
    BOOST_REQUIRE(a);
    BOOST_REQUIRE(b);
    BOOST_TEST(a->hist.count() == static_cast<std::uint64_t>(N));
    BOOST_TEST(a->hist.summary().max_ns == 500u);
    BOOST_TEST(b->hist.count() == static_cast<std::uint64_t>(N));
}

BOOST_AUTO_TEST_CASE(two_senders_on_one_socket_are_not_mixed)
{
    // Threads 11 (cpu 0) and 12 (cpu 1) send on the same socket at the same time.  Thread 11's
    // datagrams take 10 µs from sendmsg to the driver, thread 12's 3 µs, and 12's sendmsg starts
    // after 11's but its skb reaches ip_output first: keyed by socket alone they would swap.
    Pipeline p;
    Feeder f(p);
    constexpr int N = 30;
    const std::uint64_t sk = 0x77;
    std::vector<Record> cpu0, cpu1;
    packets(N, 1'000'000, 50'000, [&](std::uint64_t i, std::uint64_t t) {
        const std::uint64_t a = 100 + 2 * i, b = a + 1;
        cpu0.push_back(in_task(sk_only(sock(ev(SOCKSEND, 0, t, 0, sk), "0.0.0.0", 4000)), 11));
        cpu0.push_back(in_task(sk_only(sock(ev(UDPSEND, 0, t + 500, 0, sk), "0.0.0.0", 4000)), 11));
        cpu1.push_back(
            in_task(sk_only(sock(ev(SOCKSEND, 1, t + 1000, 0, sk), "0.0.0.0", 4000)), 12));
        cpu1.push_back(
            in_task(sk_only(sock(ev(UDPSEND, 1, t + 1500, 0, sk), "0.0.0.0", 4000)), 12));
        cpu1.push_back(in_task(ev(IPOUT, 1, t + 2000, b, sk), 12));
        cpu1.push_back(in_task(ev(XMIT, 1, t + 4000, b), 12));
        cpu0.push_back(in_task(ev(IPOUT, 0, t + 6000, a, sk), 11));
        cpu0.push_back(in_task(ev(XMIT, 0, t + 10000, a), 11));
    });
    f.send(0, cpu0);
    f.send(1, cpu1);
    const auto &c = f.finish();
    BOOST_TEST(c.tx_journeys().complete == 2u * N);
    BOOST_TEST(c.tx_journeys().with_sendmsg == 2u * N);
    BOOST_TEST(c.tx_journeys().sendmsg_without_skb == 0u);
    BOOST_TEST(bucket_count(c.total_tx(), 8192) == static_cast<std::uint64_t>(N)); // 10 µs
    BOOST_TEST(bucket_count(c.total_tx(), 2048) == static_cast<std::uint64_t>(N)); // 3 µs
    BOOST_TEST(c.total_tx().summary().max_ns == 10000u);
    const auto stages = c.stages(); // (a copy: keep it while pointing into it)
    const auto *s = stage(stages, UDPSEND, IPOUT);
    BOOST_REQUIRE(s);
    BOOST_TEST(s->hist.count() == 2u * N);
    BOOST_TEST(s->hist.summary().max_ns == 5500u); // thread 11: 500 -> 6000
    BOOST_TEST(bucket_count(s->hist, 256) == static_cast<std::uint64_t>(N)); // thread 12: 500 ns
    BOOST_TEST(sock_by_id(c, sk).tx_packets == 2u * N);
}

BOOST_AUTO_TEST_CASE(tx_journey_in_softirq_starts_at_its_first_skb_event)
{
    // A TCP segment sent from softirq (ACK clocked) while the task's sendmsg of the same socket
    // waits for its own skb: the softirq journey must not take the sendmsg stages.
    Pipeline p;
    Feeder f(p);
    const std::uint64_t sk = 0x99;
    std::vector<Record> cpu0;
    auto tcp = [](Record r) {
        r.ev.proto = IPPROTO_TCP;
        return r;
    };
    cpu0.push_back(
        tcp(in_task(sk_only(sock(ev(SOCKSEND, 0, 1'000'000, 0, sk), "10.0.0.1", 5000)), 21)));
    cpu0.push_back(tcp(in_task(
        sk_only(sock(ev(NSK_PROBE_TCP_SENDMSG, 0, 1'001'000, 0, sk), "10.0.0.1", 5000)), 21)));
    // softirq: no task, no tid
    cpu0.push_back(tcp(sk_only(sock(ev(IPQX, 0, 1'002'000, 500, sk), "10.0.0.1", 5000))));
    cpu0.push_back(tcp(ev(IPOUT, 0, 1'003'000, 500, sk)));
    cpu0.push_back(tcp(ev(IPFIN, 0, 1'004'000, 500, sk)));
    cpu0.push_back(tcp(ev(DEVQ, 0, 1'005'000, 500)));
    cpu0.push_back(tcp(ev(XMIT, 0, 1'006'000, 500)));
    // then the task's own segment
    cpu0.push_back(
        tcp(in_task(sk_only(sock(ev(IPQX, 0, 1'010'000, 501, sk), "10.0.0.1", 5000)), 21)));
    cpu0.push_back(tcp(in_task(ev(XMIT, 0, 1'012'000, 501), 21)));
    // a dropped one (qdisc): ends dropped at its last stage
    cpu0.push_back(tcp(ev(IPQX, 0, 1'020'000, 502, sk)));
    cpu0.push_back(tcp(ev(DEVQ, 0, 1'021'000, 502)));
    cpu0.push_back(drop(KFREE, 0, 1'022'000, 502, "QDISC_DROP", "__dev_queue_xmit+0x1/0x2"));
    f.send(0, cpu0);
    const auto &c = f.finish();
    BOOST_TEST(c.tx_journeys().complete == 2u);
    BOOST_TEST(c.tx_journeys().dropped == 1u);
    BOOST_TEST(c.tx_journeys().with_sendmsg == 1u);
    BOOST_TEST(c.tx_journeys().incomplete == 0u);
    BOOST_TEST(c.total_tx().count() == 2u);
    BOOST_TEST(c.total_tx().summary().max_ns == 12000u); // sendmsg 1'000'000 -> xmit 1'012'000
    BOOST_REQUIRE(stage(c.stages(), IPQX, IPOUT));
    BOOST_TEST(stage(c.stages(), IPQX, IPOUT)->hist.count() == 1u);
    BOOST_TEST(stage(c.stages(), NSK_PROBE_TCP_SENDMSG, IPQX)->hist.summary().max_ns == 9000u);
    BOOST_TEST(sock_by_id(c, sk).tx_packets == 2u);
    BOOST_TEST(sock_by_id(c, sk).tx_dropped == 1u);
    const auto d = c.drops();
    BOOST_REQUIRE(d.size() == 1u);
    BOOST_TEST(d[0].reason == "QDISC_DROP");
    BOOST_TEST(d[0].stage == "dev_queue_xmit");
    BOOST_TEST(d[0].proto == "tcp");
    BOOST_TEST(c.rx_journeys().complete + c.rx_journeys().dropped == 0u);
}

namespace {

// TCP 10.0.0.1:5000 -> 10.0.0.2:9000 on loopback.
Record tcp_pkt(std::uint16_t probe, std::uint64_t ts, std::uint64_t skb, std::uint32_t seq,
               std::uint32_t payload, std::uint64_t sk = 0)
{
    Record r = ev(probe, 0, ts, skb, sk, IPPROTO_TCP);
    r.ev.flags |= NSK_EF_SEQ;
    r.ev.seq = seq;
    r.ev.payload = payload;
    r.ev.aux = 0x10 | (1u << 16); // ACK, one segment
    return r;
}
Record tcp_sock(Record r, const char *l, std::uint16_t lp, const char *rm, std::uint16_t rp)
{
    r.ev.flags |= NSK_EF_SOCK;
    ip4(r.ev.sk_laddr, l);
    ip4(r.ev.sk_raddr, rm);
    r.ev.sk_lport = lp;
    r.ev.sk_rport = rp;
    return r;
}
Record sender(Record r)
{
    return tcp_sock(r, "10.0.0.1", 5000, "10.0.0.2", 9000);
}
Record receiver(Record r)
{
    return tcp_sock(r, "10.0.0.2", 9000, "10.0.0.1", 5000);
}
// A data segment reaching the receiver's socket `rsk`, 10 ns a stage from ts: netif_receive_skb,
// tcp_v4_rcv, then `last` (tcp_queue_rcv, or tcp_add_backlog).
void tcp_arrival(std::vector<Record> &v, std::uint64_t ts, std::uint64_t skb, std::uint32_t seq,
                 std::uint32_t payload, std::uint64_t rsk,
                 std::uint16_t last = NSK_PROBE_TCP_QUEUE_RCV)
{
    v.push_back(tcp_pkt(NSK_PROBE_NETIF_RECEIVE_SKB, ts, skb, seq, payload));
    v.push_back(tcp_pkt(NSK_PROBE_TCP_V4_RCV, ts + 10, skb, seq, payload));
    v.push_back(receiver(tcp_pkt(last, ts + 20, skb, seq, payload, rsk)));
}
// Socket-only TCP event (sendmsg, tcp_sendmsg_locked, tcp_cleanup_rbuf) in a task.
Record tcp_call(std::uint16_t probe, std::uint64_t ts, std::uint64_t sk, std::uint32_t seq,
                std::uint32_t bytes, std::uint32_t pid)
{
    Record r = ev(probe, 0, ts, 0, sk, IPPROTO_TCP);
    r.ev.flags = NSK_EF_SEQ;
    r.ev.seq = seq;
    r.ev.payload = bytes;
    return task(r, pid, "app");
}

} // namespace

// One tcp_recvmsg call that reports twice (5.10's loop calls tcp_cleanup_rbuf at every turn with
// what the call copied so far): 2000 bytes, then 1000 more and the FIN (copied_seq + 1001).  The
// call's entry is seen, so the second report adds 1000, not min(3000, 1001) = 1001; the next
// call (its own entry) counts from 0 again.
BOOST_AUTO_TEST_CASE(tcp_read_reports_within_one_call_count_once)
{
    constexpr std::uint64_t R = 0x52;
    constexpr std::uint32_t SEQ0 = 1000;
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_RECVMSG, 100, R, 0, 0, 8)));
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 110, R, SEQ0, 0, 8))); // (nothing)
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_RECVMSG, 200, R, 0, 0, 8)));
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 210, R, SEQ0 + 2000, 2000, 8)));
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 220, R, SEQ0 + 3001, 3000, 8)));
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_RECVMSG, 300, R, 0, 0, 8)));
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 310, R, SEQ0 + 3001, 0, 8)));
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().tcp_bytes == 3000u); // not 3001: the FIN is not a byte
}

// One sendmsg of 3000 bytes leaves as two segments (the second one coalesced in the receiver's
// backlog), two reads copy them, then a retransmitted copy of the first is dropped as old data.
BOOST_AUTO_TEST_CASE(tcp_segments_by_sequence_number)
{
    constexpr std::uint64_t S = 0x51, R = 0x52;
    constexpr std::uint32_t SEQ0 = 4294966296u; // wraps to 0 after 1000 bytes
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    v.push_back(sender(tcp_call(NSK_PROBE_SOCK_SENDMSG, 100, S, 0, 0, 7)));
    v.push_back(sender(tcp_call(NSK_PROBE_TCP_SENDMSG, 110, S, 0, 0, 7)));
    v.push_back(sender(tcp_call(NSK_PROBE_TCP_SENDMSG_LOCKED, 120, S, SEQ0, 3000, 7)));
    // segment A [SEQ0, +2000): sent, received, queued
    Record qa = sender(tcp_pkt(NSK_PROBE_IP_QUEUE_XMIT, 200, 0xA, SEQ0, 2000, S));
    qa.ev.flags &= static_cast<std::uint8_t>(~NSK_EF_PKT); // no IP header yet
    v.push_back(qa);
    v.push_back(tcp_pkt(NSK_PROBE_DEV_HARD_START_XMIT, 210, 0xA, SEQ0, 2000));
    // segment B [SEQ0+2000, +1000): sent, then parked in the backlog and coalesced
    Record qb = sender(tcp_pkt(NSK_PROBE_IP_QUEUE_XMIT, 220, 0xB, SEQ0 + 2000, 1000, S));
    qb.ev.flags &= static_cast<std::uint8_t>(~NSK_EF_PKT);
    v.push_back(qb);
    v.push_back(tcp_pkt(NSK_PROBE_DEV_HARD_START_XMIT, 230, 0xB, SEQ0 + 2000, 1000));
    tcp_arrival(v, 300, 0xA, SEQ0, 2000, R);
    tcp_arrival(v, 330, 0xB, SEQ0 + 2000, 1000, R, NSK_PROBE_TCP_ADD_BACKLOG);
    // reads: copied_seq passes A, then B
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 400, R, SEQ0 + 2000, 2000, 8)));
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 500, R, SEQ0 + 3000, 1000, 8)));
    // the FIN read: copied_seq + 1, nothing copied
    v.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 510, R, SEQ0 + 3001, 0, 8)));
    // a retransmitted copy of A (skb C), dropped as old data
    Record qc = sender(tcp_pkt(NSK_PROBE_IP_QUEUE_XMIT, 600, 0xC, SEQ0, 2000, S));
    qc.ev.flags &= static_cast<std::uint8_t>(~NSK_EF_PKT);
    v.push_back(qc);
    v.push_back(tcp_pkt(NSK_PROBE_DEV_HARD_START_XMIT, 610, 0xC, SEQ0, 2000));
    v.push_back(tcp_pkt(NETIF, 620, 0xC, SEQ0, 2000));
    v.push_back(tcp_pkt(NSK_PROBE_TCP_V4_RCV, 630, 0xC, SEQ0, 2000));
    Record d = drop(KFREE, 0, 640, 0xC, "TCP_OLD_DATA", "tcp_data_queue+0x6fd");
    d.ev.proto = IPPROTO_TCP;
    d.ev.flags |= NSK_EF_SEQ;
    d.ev.seq = SEQ0;
    d.ev.payload = 2000;
    v.push_back(d);
    f.send(0, v);
    const auto &c = f.finish();

    const auto &tx = c.tx_journeys();
    BOOST_TEST(tx.complete == 3u);
    BOOST_TEST(tx.tcp == 3u);
    BOOST_TEST(tx.tcp_segments == 3u);
    BOOST_TEST(tx.tcp_data == 3u);
    BOOST_TEST(tx.tcp_retransmits == 1u);
    BOOST_TEST(tx.tcp_bytes == 3000u);
    BOOST_TEST(tx.with_sendmsg == 2u); // A and B carry the sendmsg, the retransmission does not
    const auto &rx = c.rx_journeys();
    BOOST_TEST(rx.complete == 2u);
    BOOST_TEST(rx.dropped == 1u);
    BOOST_TEST(rx.tcp_data == 3u);
    BOOST_TEST(rx.tcp_data_dropped == 1u);
    BOOST_TEST(rx.tcp_duplicates == 1u);
    BOOST_TEST(rx.tcp_bytes == 3000u); // not 3001: the FIN is not a byte
    BOOST_TEST(rx.incomplete == 0u);
    BOOST_TEST(rx.queued_at_end == 0u);
    // end to end from the sendmsg (100): A read at 400, B at 500
    BOOST_TEST(c.total_end_to_end().count() == 2u);
    BOOST_TEST(c.total_end_to_end().max() == 400u);
    BOOST_TEST(c.total_end_to_end().min() == 300u);
    // queue residence: A only (B never reached tcp_queue_rcv): 400 - 320
    BOOST_TEST(c.total_queue().count() == 1u);
    BOOST_TEST(c.total_queue().max() == 80u);
    BOOST_TEST(c.reversed_stages() == 0u);
    const auto stages = c.stages(); // (a copy: keep it while pointing into it)
    const auto *q = stage(stages, NSK_PROBE_TCP_QUEUE_RCV, NSK_PROBE_TCP_CLEANUP_RBUF);
    BOOST_REQUIRE(q);
    BOOST_TEST(q->path == "queue");
    BOOST_TEST(q->hist.count() == 1u);
    const auto *l = stage(stages, NSK_PROBE_TCP_SENDMSG_LOCKED, NSK_PROBE_IP_QUEUE_XMIT);
    BOOST_REQUIRE(l);
    BOOST_TEST(l->hist.count() == 2u);

    const auto rs = sock_by_id(c, R);
    BOOST_TEST(rs.rx_bytes == 3000u);
    BOOST_TEST(rs.drops_total == 0u); // a duplicate copy is no data lost
    BOOST_TEST(rs.tcp_duplicates == 1u);
    BOOST_TEST(rs.dequeued == 2u);
    const auto ss = sock_by_id(c, S);
    BOOST_TEST(ss.tx_bytes == 3000u);
    BOOST_TEST(ss.tx_calls == 1u);
    BOOST_REQUIRE(ss.tx_by_pid.count(7) == 1u);
    BOOST_TEST(ss.tx_by_pid.at(7).calls == 1u);
    BOOST_TEST(ss.tx_by_pid.at(7).bytes == 3000u);
    BOOST_TEST(ss.local == "10.0.0.1:5000");
}

// A segment's records that reach the tool after the read that copied its bytes (a late batch,
// past the reorder window): not a duplicate copy (TCP queued it), completed with that read.
BOOST_AUTO_TEST_CASE(tcp_segment_whose_records_come_after_its_read)
{
    constexpr std::uint64_t R = 0x52;
    constexpr std::uint32_t SEQ0 = 1000;
    Pipeline p;
    Feeder f(p);
    std::vector<Record> c0;
    tcp_arrival(c0, 1000, 0xA, SEQ0, 1000, R);
    c0.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 5000, R, SEQ0 + 2000, 2000, 8)));
    // a later read (nothing new) moves the reorder window past everything above
    c0.push_back(receiver(tcp_call(NSK_PROBE_TCP_CLEANUP_RBUF, 900'000'000, R, SEQ0 + 2000, 0, 8)));
    f.send(0, c0);
    std::vector<Record> c1; // segment B, queued before the read, its batch late
    tcp_arrival(c1, 3000, 0xB, SEQ0 + 1000, 1000, R);
    f.send(1, c1);
    p.finish(f.sent());
    BOOST_TEST(p.reorder().late() == 3u);
    const auto &c = p.correlator();
    const auto &rx = c.rx_journeys();
    BOOST_TEST(rx.tcp_data == 2u);
    BOOST_TEST(rx.complete == 2u);
    BOOST_TEST(rx.queued_at_end == 0u);
    BOOST_TEST(rx.incomplete == 0u);
    BOOST_TEST(rx.tcp_duplicates == 0u);
    BOOST_TEST(rx.tcp_data_dropped == 0u);
    BOOST_TEST(rx.tcp_late_queued == 1u);
    BOOST_TEST(rx.tcp_bytes == 2000u);
    // queue residence: A 5000 - 1020, B 5000 - 3020 (the read that passed its end)
    BOOST_TEST(c.total_queue().count() == 2u);
    BOOST_TEST(c.total_queue().max() == 3980u);
    BOOST_TEST(c.total_queue().min() == 1980u);
    const auto rs = sock_by_id(c, R);
    BOOST_TEST(rs.dequeued == 2u);
    BOOST_TEST(rs.tcp_duplicates == 0u);
}

// Before 5.17 (no reason in kfree_skb) the call site names the reason; with a reason, the
// kernel's own wins.
BOOST_AUTO_TEST_CASE(drop_reason_from_location_without_kernel_reasons)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    rx_path(v, 0, 1000, 0x71);
    Record d1 = drop(KFREE, 0, 9000, 0x71, "", "__udp4_lib_rcv+0x9a2");
    v.push_back(d1);
    rx_path(v, 0, 20000, 0x72);
    v.push_back(drop(KFREE, 0, 29000, 0x72, "", "udp_queue_rcv_one_skb.isra.0+0x1f"));
    rx_path(v, 0, 40000, 0x73);
    v.push_back(drop(KFREE, 0, 49000, 0x73, "", "some_function+0x10"));
    rx_path(v, 0, 60000, 0x74);
    Record d4 = drop(KFREE, 0, 69000, 0x74, "NO_SOCKET", "__udp4_lib_rcv+0x100");
    d4.ev.flags |= NSK_EF_HAS_REASON;
    v.push_back(d4);
    // 5.10: a full backlog frees the skb in enqueue_to_backlog (64_diagnose_backlog)
    rx_path(v, 0, 80000, 0x75);
    v.push_back(drop(KFREE, 0, 89000, 0x75, "", "enqueue_to_backlog+0x99"));
    f.send(0, v);
    const auto &c = f.finish();
    std::map<std::string, std::pair<std::uint64_t, bool>> got;
    for (const auto &d : c.drops())
        got[d.reason + "@" + d.location] = {d.count, d.by_location};
    BOOST_TEST(got.size() == 5u);
    BOOST_TEST(got["CPU_BACKLOG@enqueue_to_backlog+0x99"].first == 1u);
    BOOST_TEST(got["CPU_BACKLOG@enqueue_to_backlog+0x99"].second);
    BOOST_TEST(got["NO_SOCKET@__udp4_lib_rcv+0x9a2"].first == 1u);
    BOOST_TEST(got["NO_SOCKET@__udp4_lib_rcv+0x9a2"].second);
    BOOST_TEST(got["NO_SOCKET@__udp4_lib_rcv+0x100"].first == 1u);
    BOOST_TEST(!got["NO_SOCKET@__udp4_lib_rcv+0x100"].second);
    BOOST_TEST(got["SOCKET_RCVBUFF@udp_queue_rcv_one_skb.isra.0+0x1f"].first == 1u);
    BOOST_TEST(got["SOCKET_RCVBUFF@udp_queue_rcv_one_skb.isra.0+0x1f"].second);
    BOOST_TEST(got["UNKNOWN@some_function+0x10"].first == 1u);
    BOOST_TEST(!got["UNKNOWN@some_function+0x10"].second);
}

// Issue 15 (55_nft_drops): one call site (nf_hook_slow) drops packets at different stages (the
// forward hook of a router, the local-in hook of the host): a row per stage, each named by its
// own stage, not by the stage of the first drop seen at that site.
BOOST_AUTO_TEST_CASE(drops_at_one_site_from_two_stages_are_two_rows)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    std::uint64_t skb = 0x500;
    for (int i = 0; i < 3; ++i, ++skb) { // dropped before local delivery
        const std::uint64_t t = 1000 + 100'000 * static_cast<std::uint64_t>(i);
        v.push_back(ev(NETIF, 0, t, skb, 0, IPPROTO_UDP));
        v.push_back(ev(IPRCV, 0, t + 1000, skb, 0, IPPROTO_UDP));
        Record d = drop(KFREE, 0, t + 2000, skb, "NETFILTER_DROP", "nf_hook_slow+0x9e");
        d.ev.flags |= NSK_EF_HAS_REASON;
        v.push_back(d);
    }
    for (int i = 0; i < 2; ++i, ++skb) { // dropped after it (the local-in hook)
        const std::uint64_t t = 1'000'000 + 100'000 * static_cast<std::uint64_t>(i);
        v.push_back(ev(NETIF, 0, t, skb, 0, IPPROTO_UDP));
        v.push_back(ev(IPRCV, 0, t + 1000, skb, 0, IPPROTO_UDP));
        v.push_back(ev(LOCAL, 0, t + 2000, skb, 0, IPPROTO_UDP));
        Record d = drop(KFREE, 0, t + 3000, skb, "NETFILTER_DROP", "nf_hook_slow+0x9e");
        d.ev.flags |= NSK_EF_HAS_REASON;
        v.push_back(d);
    }
    f.send(0, v);
    const auto &c = f.finish();
    std::map<std::string, std::uint64_t> got;
    for (const auto &d : c.drops())
        got[d.reason + "@" + d.location + "@" + d.stage] = d.count;
    BOOST_TEST(got.size() == 2u);
    BOOST_TEST(got["NETFILTER_DROP@nf_hook_slow+0x9e@ip_rcv"] == 3u);
    BOOST_TEST(got["NETFILTER_DROP@nf_hook_slow+0x9e@ip_local_deliver"] == 2u);
}

// Issue 15 (54_forwarding, 55_nft_drops): a router's packet reaches ip_forward (its FORWARD hook
// runs there): a receive stage of its own, and a drop by that hook is staged at ip_forward.
BOOST_AUTO_TEST_CASE(forwarded_packet_reaches_ip_forward_and_its_hook_drop_is_staged_there)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    for (std::uint64_t i = 0; i < 4; ++i) {
        const std::uint64_t t = 1000 + 100'000 * i, skb = 0x900 + i;
        v.push_back(ev(NETIF, 0, t, skb, 0, IPPROTO_UDP));
        v.push_back(ev(IPRCV, 0, t + 1000, skb, 0, IPPROTO_UDP));
        v.push_back(ev(NSK_PROBE_IP_FORWARD, 0, t + 3000, skb, 0, IPPROTO_UDP));
        Record d = drop(KFREE, 0, t + 4000, skb, "NETFILTER_DROP", "nft_do_chain+0x47f");
        d.ev.flags |= NSK_EF_HAS_REASON;
        v.push_back(d);
    }
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_REQUIRE(c.drops().size() == 1u);
    BOOST_TEST(c.drops()[0].stage == "ip_forward");
    BOOST_TEST(c.drops()[0].count == 4u);
    const auto *s = stage(c.stages(), IPRCV, NSK_PROBE_IP_FORWARD);
    BOOST_REQUIRE(s);
    BOOST_TEST(s->hist.count() == 4u);
    BOOST_TEST(s->hist.max() == 2000u);
}

namespace {

// One UDP datagram sent by socket 0x51 (task 7) and received by socket 0x52, skb `skb`, with
// the hops `relay` puts between the sender's driver and the receiver's first stage.
template <class Relay>
void relayed_datagram(std::vector<Record> &v, std::uint64_t t, std::uint64_t skb, Relay relay)
{
    v.push_back(task(sock(ev(NSK_PROBE_SOCK_SENDMSG, 0, t, 0, 0x51), "10.0.0.1", 5000), 7, "tx"));
    v.push_back(
        task(sock(ev(NSK_PROBE_UDP_SENDMSG, 0, t + 100, 0, 0x51), "10.0.0.1", 5000), 7, "tx"));
    for (auto [probe, dt] : {std::pair{NSK_PROBE_IP_OUTPUT, 200},
                             {NSK_PROBE_IP_FINISH_OUTPUT2, 300},
                             {NSK_PROBE_DEV_QUEUE_XMIT, 400},
                             {NSK_PROBE_DEV_HARD_START_XMIT, 500}})
        v.push_back(task(ev(probe, 0, t + dt, skb, 0x51), 7, "tx"));
    const std::uint64_t t1 = relay(v, t + 1000, skb);
    rx_to_socket(v, 0, t1, skb, 0x52, "10.0.0.2", 9000, 0);
    v.push_back(task(sock(ev(DEQ, 0, t1 + 10'000, skb, 0x52), "10.0.0.2", 9000, 5), 9, "rx"));
}

} // namespace

// A router: the datagram is received (netif_receive_skb, ip_rcv), forwarded (ip_forward) and sent
// on (ip_output ... driver), then received by the socket behind the router: one journey across
// the hops, its receive hop on the router counted as forwarded, the send on as relayed, the
// forward path its own stage rows, the end-to-end latency from the sender's sendmsg.
BOOST_AUTO_TEST_CASE(forwarded_datagram_is_one_journey_across_the_router)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    constexpr int N = 5;
    for (int i = 0; i < N; ++i)
        relayed_datagram(v, 1'000'000 * (i + 1), 0x700 + i,
                         [](std::vector<Record> &out, std::uint64_t t, std::uint64_t skb) {
                             out.push_back(ev(NETIF, 0, t, skb));
                             out.push_back(ev(IPRCV, 0, t + 100, skb));
                             out.push_back(ev(NSK_PROBE_IP_FORWARD, 0, t + 300, skb));
                             std::uint64_t dt = 600;
                             for (auto probe :
                                  {NSK_PROBE_IP_OUTPUT, NSK_PROBE_IP_FINISH_OUTPUT2,
                                   NSK_PROBE_DEV_QUEUE_XMIT, NSK_PROBE_DEV_HARD_START_XMIT}) {
                                 out.push_back(ev(probe, 0, t + dt, skb));
                                 dt += 100;
                             }
                             return t + 2000;
                         });
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().complete == std::uint64_t(N));
    BOOST_TEST(c.rx_journeys().forwarded == std::uint64_t(N));
    BOOST_TEST(c.rx_journeys().bridged == 0u);
    BOOST_TEST(c.rx_journeys().incomplete == 0u);
    BOOST_TEST(c.rx_journeys().looped == std::uint64_t(N));   // the final hop, not the router's
    BOOST_TEST(c.tx_journeys().complete == std::uint64_t(N)); // the sender's
    BOOST_TEST(c.tx_journeys().relayed == std::uint64_t(N));
    BOOST_TEST(c.tx_journeys().incomplete == 0u);
    BOOST_TEST(c.incomplete_loss() == 0u);
    BOOST_TEST(c.total_end_to_end().count() == std::uint64_t(N));
    // sendmsg at t, read at t + 1000 + 2000 + 10'000
    BOOST_TEST(c.total_end_to_end().max() == 13'000u);
    BOOST_TEST(sock_by_id(c, 0x51).tx_packets == std::uint64_t(N));
    BOOST_TEST(sock_by_id(c, 0x52).rx_packets() == std::uint64_t(N));
    int fwd_rows = 0;
    for (const auto &s : c.stages()) {
        // two hops receive (the router, the receiver): their shared rows count 2N
        const bool both = s.path == "loopback" || (s.from == NETIF && s.to == IPRCV);
        BOOST_TEST(s.hist.count() == std::uint64_t(both ? 2 * N : N));
        if (s.path == "fwd")
            ++fwd_rows;
    }
    BOOST_TEST(fwd_rows == 4); // ip_forward -> ip_output -> ... -> dev_hard_start_xmit
    const auto *fwd = stage(c.stages(), NSK_PROBE_IP_FORWARD, NSK_PROBE_IP_OUTPUT);
    BOOST_REQUIRE(fwd);
    BOOST_TEST(fwd->path == "fwd");
    BOOST_TEST(fwd->hist.max() == 300u);
}

// Containers on a bridge: veth -> bridge port (netif_receive_skb) -> the other port
// (dev_queue_xmit, driver) -> veth -> the receiver.  The bridged skb still points at its
// sender's socket: the hop is not a second send of that socket.
BOOST_AUTO_TEST_CASE(bridged_datagram_is_one_journey_across_both_namespaces)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    constexpr int N = 3;
    for (int i = 0; i < N; ++i)
        relayed_datagram(v, 1'000'000 * (i + 1), 0x800 + i,
                         [](std::vector<Record> &out, std::uint64_t t, std::uint64_t skb) {
                             out.push_back(ev(NETIF, 0, t, skb, 0x51));
                             out.push_back(ev(NSK_PROBE_DEV_QUEUE_XMIT, 0, t + 400, skb, 0x51));
                             out.push_back(
                                 ev(NSK_PROBE_DEV_HARD_START_XMIT, 0, t + 500, skb, 0x51));
                             return t + 1000;
                         });
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().complete == std::uint64_t(N));
    BOOST_TEST(c.rx_journeys().bridged == std::uint64_t(N));
    BOOST_TEST(c.rx_journeys().forwarded == 0u);
    BOOST_TEST(c.rx_journeys().looped == std::uint64_t(N));
    BOOST_TEST(c.tx_journeys().complete == std::uint64_t(N));
    BOOST_TEST(c.tx_journeys().relayed == std::uint64_t(N));
    BOOST_TEST(c.incomplete_loss() == 0u);
    BOOST_TEST(sock_by_id(c, 0x51).tx_packets == std::uint64_t(N)); // not 2N
    BOOST_TEST(c.total_end_to_end().count() == std::uint64_t(N));
    const auto *hop = stage(c.stages(), NETIF, NSK_PROBE_DEV_QUEUE_XMIT);
    BOOST_REQUIRE(hop);
    BOOST_TEST(hop->path == "bridge");
    BOOST_TEST(hop->hist.count() == std::uint64_t(N));
    BOOST_TEST(hop->hist.max() == 400u);
}

// veth (like loopback) hands the skb to the peer's backlog (netif_rx) inside its transmit; the
// bridge hands a frame for the host up with netif_receive_skb() (netif_receive_skb_entry), whose
// core receive runs again on the bridge device: stages of one journey, not reused addresses.
BOOST_AUTO_TEST_CASE(backlog_and_direct_receive_entries_are_stages_of_one_journey)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    constexpr int N = 3;
    for (int i = 0; i < N; ++i)
        relayed_datagram(v, 1'000'000 * (i + 1), 0xA00 + i,
                         [](std::vector<Record> &out, std::uint64_t t, std::uint64_t skb) {
                             out.push_back(ev(NSK_PROBE_NETIF_RX, 0, t, skb)); // the veth peer
                             out.push_back(ev(NSK_PROBE_NET_DEV_XMIT, 0, t + 100, skb));
                             out.push_back(ev(NETIF, 0, t + 300, skb)); // the bridge port
                             out.push_back(
                                 ev(NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY, 0, t + 400, skb)); // to br0
                             return t + 500; // netif_receive_skb on br0, ip_rcv, ...
                         });
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().complete == std::uint64_t(N));
    BOOST_TEST(c.rx_journeys().incomplete == 0u);
    BOOST_TEST(c.rx_journeys().reused_before_end == 0u);
    BOOST_TEST(c.rx_journeys().looped == std::uint64_t(N));
    BOOST_TEST(c.tx_journeys().complete == std::uint64_t(N));
    BOOST_TEST(c.incomplete_loss() == 0u);
    BOOST_TEST(c.total_end_to_end().count() == std::uint64_t(N));
    struct Row {
        std::uint16_t from, to;
        const char *path;
        std::uint64_t max;
    };
    for (const Row &r :
         {Row{XMIT, NSK_PROBE_NETIF_RX, "loopback", 500},
          Row{XMIT, NSK_PROBE_NET_DEV_XMIT, "tx", 600}, Row{NSK_PROBE_NETIF_RX, NETIF, "rx", 300},
          Row{NETIF, NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY, "rx", 100},
          Row{NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY, NETIF, "rx", 100}}) {
        const auto *s = stage(c.stages(), r.from, r.to);
        BOOST_REQUIRE(s);
        BOOST_TEST(s->path == r.path);
        BOOST_TEST(s->hist.count() == std::uint64_t(N));
        BOOST_TEST(s->hist.max() == r.max);
    }
}

// A bridge with an address of its own: the port hands the frame to the bridge device, whose
// receive runs netif_receive_skb again for the same skb; still one journey, not a reuse.
BOOST_AUTO_TEST_CASE(second_receive_on_an_upper_device_is_a_stage_not_a_reuse)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    for (std::uint64_t i = 0; i < 4; ++i) {
        const std::uint64_t t = 1'000'000 * (i + 1), skb = 0x900 + i;
        v.push_back(ev(NETIF, 0, t, skb));
        rx_to_socket(v, 0, t + 500, skb, 0x61, "10.0.0.2", 9000, 0);
        v.push_back(task(sock(ev(DEQ, 0, t + 9000, skb, 0x61), "10.0.0.2", 9000, 5), 9, "rx"));
    }
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().complete == 4u);
    BOOST_TEST(c.rx_journeys().incomplete == 0u);
    BOOST_TEST(c.rx_journeys().reused_before_end == 0u);
    const auto *upper = stage(c.stages(), NETIF, NETIF);
    BOOST_REQUIRE(upper);
    BOOST_TEST(upper->hist.count() == 4u);
    BOOST_TEST(upper->hist.max() == 500u);
}

// NIC receive with GRO: the driver hands 3 TCP segments to GRO; the first is held and stands
// for all 3 when it goes up, the other two are merged into it (napi_gro_receive_exit says
// GRO_MERGED): their journeys end there, not as incomplete, and the segments the receive side
// counts are the 3 the wire carried, not 3 + 2.
BOOST_AUTO_TEST_CASE(gro_merged_skbs_end_at_the_merge_and_segments_are_counted_once)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    auto tcp = [](std::uint16_t probe, std::uint64_t t, std::uint64_t skb, std::uint32_t seq,
                  std::uint32_t segs) {
        Record r = ev(probe, 0, t, skb, 0, IPPROTO_TCP);
        r.ev.flags |= NSK_EF_SEQ;
        r.ev.seq = seq;
        r.ev.payload = 1000 * segs;
        r.ev.aux = segs << 16;
        return r;
    };
    constexpr std::uint16_t GRO = NSK_PROBE_NAPI_GRO_RECEIVE, GRO_EXIT = NSK_PROBE_NAPI_GRO_EXIT;
    v.push_back(tcp(GRO, 1000, 0xA1, 1, 1));
    Record held = tcp(GRO_EXIT, 1100, 0xA1, 1, 1);
    held.ev.aux = 0; // GRO_HELD
    v.push_back(held);
    for (std::uint64_t i = 1; i < 3; ++i) {
        v.push_back(tcp(GRO, 1000 + 200 * i, 0xA1 + i, 1 + 1000 * i, 1));
        Record merged = tcp(GRO_EXIT, 1100 + 200 * i, 0xA1 + i, 1 + 1000 * i, 1);
        merged.ev.aux = 1;
        v.push_back(merged);
    }
    v.push_back(tcp(NETIF, 2000, 0xA1, 1, 3));
    v.push_back(tcp(IPRCV, 2100, 0xA1, 1, 3));
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_TEST(c.rx_journeys().gro_merged == 2u);
    BOOST_TEST(c.rx_journeys().incomplete + c.rx_journeys().consumed <= 1u); // the held one
    const auto *s = stage(c.stages(), GRO, NETIF);
    BOOST_REQUIRE(s);
    BOOST_TEST(s->hist.count() == 1u);
    BOOST_TEST(s->hist.max() == 1000u);
}

// The driver's return (net_dev_xmit) after the journey ended at dev_hard_start_xmit: a stage
// row of the send path; a busy return (NETDEV_TX_BUSY) is not one.
BOOST_AUTO_TEST_CASE(driver_return_is_a_stage_after_the_handoff)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    for (std::uint64_t i = 0; i < 3; ++i) {
        const std::uint64_t t = 1'000'000 * (i + 1), skb = 0xB00 + i;
        v.push_back(ev(NSK_PROBE_IP_OUTPUT, 0, t, skb));
        v.push_back(ev(NSK_PROBE_DEV_HARD_START_XMIT, 0, t + 100, skb));
        Record x = ev(NSK_PROBE_NET_DEV_XMIT, 0, t + 350, skb);
        x.ev.reason = i == 2 ? 0x10 : 0; // the last one: NETDEV_TX_BUSY
        v.push_back(x);
    }
    f.send(0, v);
    const auto &c = f.finish();
    BOOST_TEST(c.tx_journeys().complete == 3u);
    const auto *s = stage(c.stages(), NSK_PROBE_DEV_HARD_START_XMIT, NSK_PROBE_NET_DEV_XMIT);
    BOOST_REQUIRE(s);
    BOOST_TEST(s->path == "tx");
    BOOST_TEST(s->hist.count() == 2u);
    BOOST_TEST(s->hist.max() == 250u);
}

// Kernels without drop reasons: the skbs a qdisc refuses are freed by __dev_xmit_skb with
// kfree_skb_list right after the device queue: QDISC_DROP there (the same function elsewhere
// says nothing).
BOOST_AUTO_TEST_CASE(qdisc_drop_named_by_stage_and_site_without_kernel_reasons)
{
    Pipeline p;
    Feeder f(p);
    std::vector<Record> v;
    for (std::uint64_t i = 0; i < 3; ++i) {
        const std::uint64_t t = 1'000'000 * (i + 1), skb = 0xC00 + i;
        v.push_back(ev(NSK_PROBE_IP_OUTPUT, 0, t, skb));
        v.push_back(ev(NSK_PROBE_DEV_QUEUE_XMIT, 0, t + 100, skb));
        v.push_back(drop(KFREE, 0, t + 200, skb, "", "kfree_skb_list+0x19"));
    }
    rx_path(v, 0, 9'000'000, 0xC10);
    v.push_back(drop(KFREE, 0, 9'009'000, 0xC10, "", "kfree_skb_list+0x19"));
    f.send(0, v);
    const auto &c = f.finish();
    std::map<std::string, std::uint64_t> got;
    for (const auto &d : c.drops())
        got[d.reason + "@" + d.stage] = d.count;
    BOOST_TEST(got["QDISC_DROP@dev_queue_xmit"] == 3u);
    BOOST_TEST(got["UNKNOWN@udp_rcv"] == 1u);
    BOOST_TEST(c.tx_journeys().dropped == 3u);
}

// The socket table learns a socket's description only when an event says something new
// (SocketTable: a repeated description is not learned again).  These check that what changes
// between repeats is still learned, exactly as when every event was learned.
namespace {

/// A datagram to socket `sk` (its view laddr:lport, inode `ino`) read by `pid`/`comm`.
void datagram_to(std::vector<Record> &out, std::uint64_t t, std::uint64_t skb, std::uint64_t sk,
                 const char *laddr, std::uint16_t lport, std::uint32_t ino, std::uint32_t pid,
                 const char *comm)
{
    rx_to_socket(out, 0, t, skb, sk, laddr, lport, ino);
    out.push_back(task(sock(ev(RECVMSG, 0, t + 5000, 0, sk), laddr, lport, ino), pid, comm));
    out.push_back(task(sock(ev(DEQ, 0, t + 6000, skb, sk), laddr, lport, ino), pid, comm));
}

void process_all(nsk::Correlator &c, const std::vector<Record> &v)
{
    for (const auto &r : v)
        c.process(r);
}

} // namespace

BOOST_AUTO_TEST_CASE(socket_description_changed_between_repeats_is_learned)
{
    nsk::Correlator c;
    std::vector<Record> v;
    datagram_to(v, 1'000'000, 1, 0xE1, "127.0.0.1", 9010, 0, 5, "reader-a");
    datagram_to(v, 2'000'000, 2, 0xE1, "127.0.0.1", 9010, 0, 5, "reader-a"); // the same again
    // A new reader (pid, comm) and tuple for the rest of one journey: its enqueue still says
    // the old tuple, the read the new one.
    rx_to_socket(v, 0, 3'000'000, 3, 0xE1, "127.0.0.1", 9010);
    v.push_back(task(sock(ev(DEQ, 0, 3'006'000, 3, 0xE1), "127.0.0.2", 9011), 6, "reader-b"));
    process_all(c, v);
    auto s = sock_by_id(c, 0xE1);
    BOOST_TEST(s.local == "127.0.0.2:9011");
    BOOST_TEST(s.comm == "reader-b");
    BOOST_TEST(s.pid == 6u);
    BOOST_TEST((s.pids == std::set<std::uint32_t>{5, 6}));
    BOOST_TEST(s.dequeued == 3u);
    // Back to the first description: learned again although that socket said it before.
    v.clear();
    datagram_to(v, 4'000'000, 4, 0xE1, "127.0.0.1", 9010, 0, 5, "reader-a");
    process_all(c, v);
    s = sock_by_id(c, 0xE1);
    BOOST_TEST(s.local == "127.0.0.1:9010");
    BOOST_TEST(s.comm == "reader-a");
    BOOST_TEST(s.pid == 5u);
    BOOST_TEST(s.dequeued == 4u);
}

BOOST_AUTO_TEST_CASE(socket_id_reused_by_a_new_socket_learns_the_new_one)
{
    nsk::Correlator c;
    std::vector<Record> v;
    datagram_to(v, 1'000'000, 1, 0xE2, "127.0.0.1", 9020, 100, 5, "old");
    datagram_to(v, 2'000'000, 2, 0xE2, "127.0.0.1", 9020, 100, 5, "old");
    // The address of the socket is reused by another (inode 200): a new row.
    datagram_to(v, 3'000'000, 3, 0xE2, "127.0.0.1", 9021, 200, 7, "new");
    datagram_to(v, 4'000'000, 4, 0xE2, "127.0.0.1", 9021, 200, 7, "new");
    process_all(c, v);
    c.finish();
    std::vector<nsk::SocketStats> rows;
    for (const auto &s : c.sockets())
        if (s.sk_id == 0xE2)
            rows.push_back(s);
    BOOST_REQUIRE(rows.size() == 2u);
    std::sort(rows.begin(), rows.end(),
              [](const auto &a, const auto &b) { return a.sk_ino < b.sk_ino; });
    BOOST_TEST(rows[0].sk_ino == 100u);
    BOOST_TEST(rows[0].local == "127.0.0.1:9020");
    BOOST_TEST(rows[0].comm == "old");
    BOOST_TEST(rows[0].dequeued == 2u);
    BOOST_TEST(rows[1].sk_ino == 200u);
    BOOST_TEST(rows[1].local == "127.0.0.1:9021");
    BOOST_TEST(rows[1].comm == "new");
    BOOST_TEST(rows[1].pid == 7u);
    BOOST_TEST((rows[1].pids == std::set<std::uint32_t>{7}));
    BOOST_TEST(rows[1].dequeued == 2u);
}

BOOST_AUTO_TEST_CASE(socket_pruned_then_seen_again_is_learned_again)
{
    nsk::CorrelatorOptions o;
    o.socket_age_ns = 1'000'000'000ULL; // 1 s idle: pruned at the next sweep
    nsk::Correlator c(o);
    std::vector<Record> v;
    datagram_to(v, 1'000'000, 1, 0xE3, "127.0.0.1", 9030, 0, 5, "reader");
    datagram_to(v, 2'000'000, 2, 0xE3, "127.0.0.1", 9030, 0, 5, "reader");
    v.push_back(ev(CONSUME, 0, 5'000'000'000ULL, 999)); // time passes: the socket is pruned
    process_all(c, v);
    BOOST_TEST(c.pruned_sockets().entries == 1u);
    // The same socket, the same description: a new row, which learns it.
    v.clear();
    datagram_to(v, 5'100'000'000ULL, 3, 0xE3, "127.0.0.1", 9030, 0, 5, "reader");
    process_all(c, v);
    const auto s = sock_by_id(c, 0xE3);
    BOOST_TEST(s.local == "127.0.0.1:9030");
    BOOST_TEST(s.comm == "reader");
    BOOST_TEST(s.pid == 5u);
    BOOST_TEST(s.netns == 4026531840U);
    BOOST_TEST(s.dequeued == 1u);
}

BOOST_AUTO_TEST_CASE(probe_ids_beyond_this_build_are_counted_apart)
{
    // The known ids are counted in a fixed array; an id a newer module may send is counted on
    // the side, under the name the module gave it (or probe_<id>), and otherwise ignored.
    constexpr std::uint16_t NEWER = NSK_PROBE_MAX + 5;
    nsk::Correlator c;
    c.set_probe_names({{NEWER, "newer_probe"}});
    c.process(ev(IPRCV, 0, 1'000, 50));
    c.process(ev(NEWER, 0, 2'000, 50));
    c.process(ev(NEWER, 0, 3'000, 51));
    c.process(ev(NSK_PROBE_MAX, 0, 4'000, 52));
    c.process(ev(NEWER + 1, 0, 5'000, 53));
    const auto seen = c.probes_seen();
    BOOST_TEST(seen.at("ip_rcv") == 1u);
    BOOST_TEST(seen.at("newer_probe") == 2u);
    BOOST_TEST(seen.at("probe_" + std::to_string(NEWER + 1)) == 1u);
    BOOST_TEST(seen.at(nsk::probe_name(NSK_PROBE_MAX)) == 1u);
    BOOST_TEST(c.events() == 5u);
}

BOOST_AUTO_TEST_CASE(socket_entries_count_new_closed_and_pruned_rows)
{
    // The table's row count is kept where rows come and go: a new socket, a socket whose
    // address a new inode took (the old row kept as closed), a prune.
    nsk::CorrelatorOptions o;
    o.socket_age_ns = 1'000'000'000ULL;
    o.sweep_ns = 500'000'000ULL;
    nsk::Correlator c(o);
    BOOST_TEST(c.socket_entries() == 0u);
    c.process(sock(ev(ENQ, 0, 1'000, 50, 7), "10.0.0.2", 9000, 100));
    BOOST_TEST(c.socket_entries() == 1u);
    c.process(sock(ev(ENQ, 0, 2'000, 51, 8), "10.0.0.2", 9001, 101));
    BOOST_TEST(c.socket_entries() == 2u);
    c.process(sock(ev(ENQ, 0, 3'000, 52, 7), "10.0.0.2", 9002, 102)); // sk 7 reused
    BOOST_TEST(c.socket_entries() == 3u);
    c.process(sock(ev(ENQ, 0, 4'000, 53, 7), "10.0.0.2", 9002, 102));
    BOOST_TEST(c.socket_entries() == 3u);
    // Later than the age: every row is idle at the next sweep but the one just seen.
    c.process(sock(ev(ENQ, 0, 2'000'000'000ULL, 54, 9), "10.0.0.2", 9003, 103));
    BOOST_TEST(c.socket_entries() == 1u);
    c.process(sock(ev(ENQ, 0, 2'000'001'000ULL, 55, 10), "10.0.0.2", 9004, 104));
    BOOST_TEST(c.socket_entries() == 2u);
}
