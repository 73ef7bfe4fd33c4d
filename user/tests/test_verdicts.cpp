// Verdicts: the receive-buffer model (queue_memory) and the rules (verdicts.cpp) on fixed data.
#define BOOST_TEST_MODULE verdicts
#include <boost/test/unit_test.hpp>

#include "nsk/queue_memory.hpp"
#include "nsk/summary.hpp"
#include "nsk/verdicts.hpp"

namespace {

constexpr std::uint32_t kTrue = 768; // truesize of one small datagram

nsk_event offer_ev(std::uint64_t ts, std::uint32_t rmem, std::uint32_t rcvbuf)
{
    nsk_event ev{};
    ev.ts_ns = ts;
    ev.flags = NSK_EF_MEM;
    ev.seq = rmem;
    ev.payload = rcvbuf;
    ev.aux = kTrue;
    return ev;
}

/// A queue of `rcvbuf` bytes: the reader stops, `burst` datagrams arrive 1 ms apart, then the
/// reader reads everything at 10 000/s while `after` more arrive 1 ms apart.
nsk::QueueMemory burst_run(std::uint32_t rcvbuf, int burst, int after)
{
    nsk::QueueMemory m;
    std::uint64_t t = 1'000'000'000, queued = 0;
    for (int i = 0; i < burst; ++i, t += 1'000'000) {
        m.offer(offer_ev(t, static_cast<std::uint32_t>(queued), rcvbuf));
        if (queued > rcvbuf)
            m.refuse(kTrue, t);
        else
            queued += kTrue;
    }
    for (; queued; queued -= kTrue, t += 100'000)
        m.read(t);
    for (int i = 0; i < after; ++i, t += 1'000'000) {
        m.offer(offer_ev(t, static_cast<std::uint32_t>(queued), rcvbuf));
        m.read(t + 1000);
    }
    return m;
}

nsk::Summary with_socket(const nsk::QueueMemory &m, std::uint64_t drops)
{
    nsk::Summary s;
    nsk::SocketRow r;
    r.proto = "udp";
    r.family = 4;
    r.local = "127.0.0.1:9000";
    r.remote = "0.0.0.0:0";
    r.pid = 42;
    r.comm = "app";
    r.drops["SOCKET_RCVBUFF"] = drops;
    r.drops_total = drops;
    r.mem = m;
    s.sockets.push_back(r);
    s.sysctls["net.core.rmem_max"] = 212992;
    s.sysctls["net.core.rmem_default"] = 212992;
    return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(burst_sized_to_hold_every_datagram_of_it)
{
    const auto m = burst_run(16384, 400, 50);
    BOOST_TEST(m.refused > 0u);
    BOOST_TEST(m.episodes == 1u);
    BOOST_TEST(m.worst.closed); // the first offer after the drain found the queue empty
    // an unlimited buffer would have held the whole burst: 400 datagrams
    BOOST_TEST(m.worst.peak_bytes == 400u * kTrue);
    const auto v = nsk::diagnose(with_socket(m, m.refused));
    BOOST_REQUIRE(!v.empty());
    BOOST_TEST(v[0].kind == "rcvbuf_burst");
    BOOST_TEST(v[0].drops == m.refused);
    const auto size = nsk::rcvbuf_for(400u * kTrue);
    BOOST_TEST(size.sk_rcvbuf >= 400u * kTrue * 5 / 4);
    BOOST_TEST(size.sk_rcvbuf % 4096 == 0u);
    BOOST_TEST(v[0].suggest["sk_rcvbuf"].get<std::uint64_t>() == size.sk_rcvbuf);
    BOOST_TEST(v[0].suggest["so_rcvbuf"].get<std::uint64_t>() == size.sk_rcvbuf / 2);
    BOOST_TEST(v[0].suggest["rmem_max"].get<std::int64_t>() == 212992); // large enough already
    BOOST_TEST(v[0].confidence == "upper_bound");
}

BOOST_AUTO_TEST_CASE(slow_reader_gets_no_buffer_size)
{
    // 3 arrivals per read, the queue full from the first drop to the end
    nsk::QueueMemory m;
    const std::uint32_t rcvbuf = 16384;
    std::uint64_t t = 1'000'000'000, queued = 0, drops = 0;
    for (int i = 0; i < 3000; ++i, t += 1'000'000) {
        m.offer(offer_ev(t, static_cast<std::uint32_t>(queued), rcvbuf));
        if (queued > rcvbuf) {
            m.refuse(kTrue, t);
            ++drops;
        } else {
            queued += kTrue;
        }
        if (i % 3 == 2 && queued) {
            m.read(t + 500'000);
            queued -= kTrue;
        }
    }
    BOOST_TEST(!m.worst.closed);
    const auto v = nsk::diagnose(with_socket(m, drops));
    BOOST_REQUIRE(!v.empty());
    BOOST_TEST(v[0].kind == "reader_too_slow");
    BOOST_TEST(!v[0].suggest.contains("sk_rcvbuf"));
    BOOST_TEST(!v[0].suggest.contains("so_rcvbuf"));
    BOOST_TEST(v[0].suggest["read_rate_needed"].get<std::uint64_t>() >= 999u);
    BOOST_TEST(v[0].evidence["worst_episode"]["read_rate"].get<std::uint64_t>() < 400u);
}

BOOST_AUTO_TEST_CASE(no_socket_and_netfilter_name_their_destinations)
{
    nsk::Summary s;
    s.drops.push_back({"NO_SOCKET", "__udp4_lib_rcv+0x1", "udp_rcv", "udp", 200, false,
                       {{"127.0.0.1:9631", 200}}});
    s.drops.push_back({"NETFILTER_DROP", "nf_hook_slow+0x2", "ip_local_deliver", "udp", 150,
                       false, {{"127.0.0.1:9632", 150}}});
    s.counters["Udp.NoPorts"] = 200;
    const auto v = nsk::diagnose(s);
    BOOST_REQUIRE(v.size() == 2u);
    BOOST_TEST(v[0].kind == "no_socket"); // most drops first
    BOOST_TEST(v[0].drops == 200u);
    BOOST_TEST(v[0].evidence["destinations"]["127.0.0.1:9631"].get<int>() == 200);
    BOOST_TEST(v[1].kind == "netfilter");
    BOOST_TEST(v[1].evidence["hook"] == "input");
    BOOST_TEST(v[1].drops == 150u);
}

// 6.12 (56_qdisc_drops): __dev_queue_xmit frees a qdisc's refusals at two inlined call sites;
// one qdisc, one destination: one verdict that explains all of them.
BOOST_AUTO_TEST_CASE(qdisc_drops_at_two_sites_of_one_function_are_one_verdict)
{
    nsk::Summary s;
    s.drops.push_back({"QDISC_DROP", "__dev_queue_xmit+0x7ef", "dev_queue_xmit", "udp", 452,
                       false, {{"10.54.2.1:9057", 452}}});
    s.drops.push_back({"QDISC_DROP", "__dev_queue_xmit+0xe7b", "dev_queue_xmit", "udp", 134,
                       false, {{"10.54.2.1:9057", 134}}});
    // another function: its own verdict
    s.drops.push_back({"QDISC_DROP", "kfree_skb_list+0x19", "dev_queue_xmit", "udp", 7, true,
                       {{"10.54.2.1:9057", 7}}});
    const auto v = nsk::diagnose(s);
    BOOST_REQUIRE(v.size() == 2u);
    BOOST_TEST(v[0].kind == "qdisc");
    BOOST_TEST(v[0].drops == 586u);
    BOOST_TEST(v[0].evidence["drops"].get<int>() == 586);
    BOOST_TEST(v[0].evidence["location"] == "__dev_queue_xmit+0x7ef"); // the busiest site
    BOOST_TEST(v[0].evidence["locations"]["__dev_queue_xmit+0xe7b"].get<int>() == 134);
    BOOST_TEST(v[0].evidence["destinations"]["10.54.2.1:9057"].get<int>() == 586);
    BOOST_TEST(v[1].drops == 7u);
    BOOST_TEST(!v[1].evidence.contains("locations"));
}

BOOST_AUTO_TEST_CASE(ring_loss_sized_and_caveated)
{
    nsk::Summary s;
    s.loss.ring = 5000;
    s.ring_bytes = 16 * 1024;
    nsk::CpuCounters c;
    c.ring_full = 5000;
    s.cpus.push_back(c);
    const auto v = nsk::diagnose(s);
    BOOST_REQUIRE(v.size() == 1u);
    BOOST_TEST(v[0].kind == "tool_ring");
    // 16 KiB + 5000 records of at most 272 bytes = 1344 KiB -> 2048 KiB
    BOOST_TEST(v[0].suggest["ring_kb"].get<int>() == 2048);
    BOOST_TEST(!v[0].caveats.empty()); // a lossy run says its counts are lower bounds
}

BOOST_AUTO_TEST_CASE(tcp_zero_window_names_the_slowest_reader)
{
    nsk::Summary s;
    s.counters["TcpExt.TCPToZeroWindowAdv"] = 164;
    for (std::uint64_t wait : {1'000'000ULL, 900'000'000ULL}) {
        nsk::SocketRow r;
        r.proto = "tcp";
        r.local = wait > 1'000'000 ? "127.0.0.1:9650" : "127.0.0.1:9651";
        r.remote = "127.0.0.1:40000";
        r.queue.add(wait);
        s.sockets.push_back(r);
    }
    const auto v = nsk::diagnose(s);
    BOOST_REQUIRE(v.size() == 1u);
    BOOST_TEST(v[0].kind == "tcp_zero_window");
    BOOST_TEST(v[0].socket["local"] == "127.0.0.1:9650");
    BOOST_TEST(v[0].evidence["TcpExt.TCPToZeroWindowAdv"].get<int>() == 164);
    BOOST_TEST(v[0].drops == 0u); // the window held the sender back: nothing lost
}
