#define BOOST_TEST_MODULE reconciler
#include <boost/test/unit_test.hpp>

#include "nsk/reconciler.hpp"
#include "nsk/summary.hpp"

#include <fstream>
#include <sstream>

namespace {

std::string fixture(const std::string &name)
{
    std::ifstream in(std::string(NSK_TEST_DATA_DIR) + "/fixtures/" + name);
    BOOST_REQUIRE_MESSAGE(in, "missing fixture " << name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// A /proc whose files the test swaps between snapshots.
class FakeProc : public nsk::ProcFs {
public:
    std::map<std::string, std::string> files;
    std::map<int, std::uint32_t> netns{{1, 4026531840U}, {2, 4026531840U}, {300, 4026532000U}};
    std::optional<std::string> read(const std::string &path) const override
    {
        auto it = files.find(path);
        if (it == files.end())
            return std::nullopt;
        return it->second;
    }
    std::vector<int> pids() const override { return {1, 2, 300}; }
    std::optional<std::uint32_t> netns_of(int pid) const override
    {
        if (pid == 0)
            return 4026531840U;
        auto it = netns.find(pid);
        if (it == netns.end())
            return std::nullopt;
        return it->second;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(parse_snmp_sections)
{
    const auto m = nsk::parse_snmp(fixture("snmp_before.txt"));
    BOOST_TEST(m.at("Udp.InDatagrams") == 500);
    BOOST_TEST(m.at("Udp.NoPorts") == 3);
    BOOST_TEST(m.at("Udp.IgnoredMulti") == 7);
    BOOST_TEST(m.at("Udp.MemErrors") == 0);
    BOOST_TEST(m.at("UdpLite.InDatagrams") == 0);
    BOOST_TEST(m.at("Ip.InReceives") == 1000);
    BOOST_TEST(m.at("Icmp.InDestUnreachs") == 3);
    BOOST_TEST(m.count("Tcp.MaxConn") == 0u); // not one of ours
    BOOST_TEST(m.count("IcmpMsg.InType3") == 0u);
    int udp_fields = 0;
    for (const auto &kv : m)
        udp_fields += kv.first.rfind("Udp.", 0) == 0;
    BOOST_TEST(udp_fields == 9);
}

BOOST_AUTO_TEST_CASE(parse_proc_udp_v4_v6)
{
    const auto v4 = nsk::parse_proc_udp(fixture("udp_before.txt"), false);
    BOOST_REQUIRE(v4.size() == 3u);
    BOOST_TEST(v4[0].local == "127.0.0.53:53");
    BOOST_TEST(v4[0].inode == 16325u);
    BOOST_TEST(v4[0].uid == 101u);
    BOOST_TEST(v4[1].local == "127.0.0.1:9000");
    BOOST_TEST(v4[1].drops == 5u);
    BOOST_TEST(v4[2].remote == "10.0.0.2:5000");
    BOOST_TEST(v4[2].rx_queue == 0xA00u);
    BOOST_TEST(v4[2].state == 1u);
    const auto v6 = nsk::parse_proc_udp(fixture("udp6.txt"), true);
    BOOST_REQUIRE(v6.size() == 1u);
    BOOST_TEST(v6[0].local == "[::1]:8080");
    BOOST_TEST(v6[0].remote == "[::]:0");
    BOOST_TEST(v6[0].drops == 9u);
    BOOST_TEST(nsk::parse_proc_udp("garbage line\n  1: zz\n", false).empty());
}

BOOST_AUTO_TEST_CASE(snapshots_baselines_and_deltas)
{
    auto fs = std::make_shared<FakeProc>();
    fs->files["/proc/net/snmp"] = fixture("snmp_before.txt");
    fs->files["/proc/net/udp"] = fixture("udp_before.txt");
    fs->files["/proc/300/net/udp6"] = fixture("udp6.txt"); // another netns
    nsk::Reconciler rec(fs);
    rec.start();
    fs->files["/proc/net/snmp"] = fixture("snmp_after.txt");
    fs->files["/proc/net/udp"] = fixture("udp_after.txt");
    rec.sample({});
    fs->files["/proc/net/udp"] = ""; // everything closed: last values are kept
    rec.sample({});

    const auto d = rec.counter_deltas();
    BOOST_TEST(d.at("Udp.InDatagrams") == 20000);
    BOOST_TEST(d.at("Udp.RcvbufErrors") == 37);
    BOOST_TEST(d.at("Udp.InErrors") == 37);
    BOOST_TEST(d.at("Udp.NoPorts") == 0);
    BOOST_TEST(*rec.drops_delta(40001u) == 37); // 42 - 5
    BOOST_TEST(*rec.drops_delta(40003u) == 3);  // created during the run: baseline 0
    BOOST_TEST(*rec.drops_delta(40002u) == 0);  // gone, kept its value
    BOOST_TEST(*rec.drops_delta(50001u) == 0);  // other netns, seen at start
    BOOST_TEST(!rec.drops_delta(99999u).has_value());
    BOOST_TEST(*rec.drops_delta("127.0.0.1:9000", "0.0.0.0:0") == 37);
    BOOST_TEST(!rec.drops_delta("127.0.0.1:9003", "0.0.0.0:0").has_value()); // ambiguous
    BOOST_TEST(*rec.own_netns() == 4026531840U);
}

BOOST_AUTO_TEST_CASE(reconcile_flags_mismatches)
{
    auto fs = std::make_shared<FakeProc>();
    fs->files["/proc/net/snmp"] = fixture("snmp_before.txt");
    fs->files["/proc/net/udp"] = fixture("udp_before.txt");
    nsk::Reconciler rec(fs);
    rec.start();
    fs->files["/proc/net/snmp"] = fixture("snmp_after.txt");
    fs->files["/proc/net/udp"] = fixture("udp_after.txt");
    rec.sample({});

    nsk::Summary s;
    nsk::SocketRow a;
    a.proto = "udp";
    a.family = 4;
    a.local = "127.0.0.1:9000";
    a.remote = "0.0.0.0:0";
    a.sk_ino = 40001;
    a.drops_total = 37;
    nsk::SocketRow b = a;
    b.local = "127.0.0.1:9002";
    b.sk_ino = 0; // matched by address
    b.drops_total = 1;
    s.sockets = {a, b};
    nsk::reconcile(s, rec);
    BOOST_TEST(s.counters.at("Udp.RcvbufErrors") == 37);
    BOOST_TEST(*s.sockets[0].kernel_drops_delta == 37);
    BOOST_TEST(!s.sockets[0].mismatch);
    BOOST_TEST(*s.sockets[1].kernel_drops_delta == 3);
    BOOST_TEST(s.sockets[1].mismatch);
    BOOST_TEST(!s.reconciled);
    BOOST_REQUIRE(s.mismatches.size() == 2u); // the socket and the Udp.RcvbufErrors total
    BOOST_TEST(s.mismatches[0].find("127.0.0.1:9002") != std::string::npos);

    s.sockets[1].drops_total = 3;
    s.sockets[0].drops_total = 34; // now per-socket 34 != 37 but total 37 == 37
    nsk::reconcile(s, rec);
    BOOST_TEST(s.mismatches.size() == 1u);
    s.sockets[0].drops_total = 37;
    s.sockets[1].drops_total = 3;
    s.filters.port = 9000; // filtered: the global total is not comparable
    nsk::reconcile(s, rec);
    BOOST_TEST(s.reconciled);
}
