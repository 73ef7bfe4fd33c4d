// A fixed synthetic collection: 200 unicast datagrams to 127.0.0.1:9000 read by "server", and
// 40 multicast datagrams to 239.1.1.1:5000 for two sockets, one of which ("slowpoke") drops 30.
#pragma once

#include "synth.hpp"

#include "nsk/summary.hpp"

#include <fstream>
#include <sstream>

namespace synth {

inline nsk::Summary sample_summary()
{
    nsk::Pipeline p;
    Feeder f(p);
    std::vector<nsk::Record> cpu0, cpu1;
    for (std::uint64_t i = 0; i < 200; ++i) {
        const std::uint64_t t = 1'000'000'000 + i * 1'000'000, skb = 1000 + i;
        const std::uint64_t j = (i * 37) % 100; // deterministic spread
        cpu0.push_back(ev(NSK_PROBE_NETIF_RECEIVE_SKB, 0, t, skb));
        cpu0.push_back(ev(NSK_PROBE_IP_RCV, 0, t + 300 + j, skb));
        cpu0.push_back(ev(NSK_PROBE_IP_LOCAL_DELIVER, 0, t + 900 + 3 * j, skb));
        cpu0.push_back(ev(NSK_PROBE_UDP_RCV, 0, t + 1400 + 3 * j, skb));
        cpu0.push_back(
            sock(ev(NSK_PROBE_UDP_ENQUEUE, 0, t + 2600 + 5 * j, skb, 0xA), "127.0.0.1", 9000));
        cpu1.push_back(task(sock(ev(NSK_PROBE_UDP_DEQUEUE, 1, t + 9000 + 900 * j, skb, 0xA),
                                 "127.0.0.1", 9000, 41001),
                            2001, "server"));
    }
    for (std::uint64_t i = 0; i < 40; ++i) {
        const std::uint64_t t = 1'300'000'000 + i * 2'000'000, P = 5000 + i, C = 6000 + i;
        std::vector<nsk::Record> path{
            ev(NSK_PROBE_NETIF_RECEIVE_SKB, 0, t, P), ev(NSK_PROBE_IP_RCV, 0, t + 400, P),
            ev(NSK_PROBE_IP_LOCAL_DELIVER, 0, t + 1100, P), ev(NSK_PROBE_UDP_RCV, 0, t + 1700, P)};
        for (auto &r : path)
            dport(r, 5000, "239.1.1.1");
        cpu0.insert(cpu0.end(), path.begin(), path.end());
        cpu0.push_back(sock(ev(NSK_PROBE_UDP_ENQUEUE, 0, t + 2500, C, 0xB), "239.1.1.1", 5000));
        if (i >= 10) {
            cpu0.push_back(drop(NSK_PROBE_KFREE_SKB, 0, t + 2600, C, "SOCKET_RCVBUFF",
                                "__udp_enqueue_schedule_skb+0x1c2/0x2d0"));
        }
        cpu0.push_back(sock(ev(NSK_PROBE_UDP_ENQUEUE, 0, t + 3500, P, 0xC), "239.1.1.1", 5000));
        if (i < 10)
            cpu1.push_back(task(sock(ev(NSK_PROBE_UDP_DEQUEUE, 1, t + 40'000'000, C, 0xB),
                                     "239.1.1.1", 5000, 41002),
                                3003, "slowpoke"));
        cpu1.push_back(
            task(sock(ev(NSK_PROBE_UDP_DEQUEUE, 1, t + 20000, P, 0xC), "239.1.1.1", 5000, 41003),
                 3004, "fastpoke"));
    }
    // Someone else's traffic dropped for lack of a socket (no journey of ours).
    cpu0.push_back(drop(NSK_PROBE_KFREE_SKB, 0, 1'400'000'000, 777, "NO_SOCKET",
                        "__udp4_lib_rcv+0x9f5/0xb20"));
    f.send(0, cpu0);
    f.send(1, cpu1);
    p.finish(f.sent());

    nsk::SummaryContext ctx;
    ctx.duration_s = 2.0;
    ctx.kernel = "6.1.0-test-amd64";
    ctx.module_version = "0.1.0";
    ctx.cpus = {{0, 1400, 1400, 0, 0, 0, 0, 1400, 14}, {1, 250, 250, 0, 0, 0, 0, 250, 3}};
    nsk::Summary s = nsk::build_summary(p, ctx);
    s.counters = {{"Udp.InDatagrams", 250}, {"Udp.NoPorts", 0},      {"Udp.InErrors", 30},
                  {"Udp.RcvbufErrors", 30}, {"Udp.SndbufErrors", 0}, {"Udp.InCsumErrors", 0},
                  {"Udp.IgnoredMulti", 0},  {"Udp.MemErrors", 0},    {"Udp.OutDatagrams", 0},
                  {"Ip.InReceives", 271}};
    for (auto &row : s.sockets)
        row.kernel_drops_delta = static_cast<std::int64_t>(row.drops_total);
    s.sockets[0].kernel_drops_delta = 31; // one the tool did not see
    s.sockets[0].mismatch = true;
    s.mismatches = {"udp 239.1.1.1:5000 (inode 41002): saw 30 queue drops, /proc/net/udp drops "
                    "grew by 31"};
    s.reconciled = false;
    return s;
}

inline std::string read_file(const std::string &path)
{
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Compare with a golden file; NSK_UPDATE_GOLDEN=1 rewrites it.
inline bool matches_golden(const std::string &name, const std::string &actual)
{
    const std::string path = std::string(NSK_TEST_DATA_DIR) + "/golden/" + name;
    if (std::getenv("NSK_UPDATE_GOLDEN")) {
        std::ofstream(path) << actual;
        return true;
    }
    return read_file(path) == actual;
}

} // namespace synth
