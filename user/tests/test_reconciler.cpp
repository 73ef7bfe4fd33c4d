#define BOOST_TEST_MODULE reconciler
#include <boost/test/unit_test.hpp>

#include "nsk/capture.hpp"
#include "nsk/metrics.hpp"
#include "nsk/reconciler.hpp"
#include "nsk/report.hpp"
#include "nsk/summary.hpp"
#include "synth_capture.hpp"

#include <algorithm>
#include <cstdio>
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
class FakeProc : public synth::FakeNamespaces {
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

using Files = std::map<std::string, std::string>;

/// The UDP snapshot `when` ("before" or "after"): /proc/net/snmp and /proc/net/udp.
void udp_files(Files &files, const std::string &when)
{
    files["/proc/net/snmp"] = fixture("snmp_" + when + ".txt");
    files["/proc/net/udp"] = fixture("udp_" + when + ".txt");
}

/// A run between two snapshots: a reconciler over `fs` started on its files, then sampled
/// once after `change` edited them.
struct Run {
    template <class Change>
    Run(std::shared_ptr<FakeProc> f, Change change) : fs(std::move(f)), rec(fs)
    {
        rec.start();
        change(fs->files);
        rec.sample({});
    }
    std::shared_ptr<FakeProc> fs;
    nsk::Reconciler rec;
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
    BOOST_TEST(m.at("Tcp.MaxConn") == -1); // signed
    BOOST_TEST(m.at("Tcp.InSegs") == 500);
    BOOST_TEST(m.at("Tcp.OutSegs") == 400);
    BOOST_TEST(m.count("IcmpMsg.InType3") == 0u); // not one of ours
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
    udp_files(fs->files, "before");
    fs->files["/proc/300/net/udp6"] = fixture("udp6.txt"); // another netns
    Run run(fs, [](Files &files) { udp_files(files, "after"); });
    auto &rec = run.rec;
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
    udp_files(fs->files, "before");
    Run run(fs, [](Files &files) { udp_files(files, "after"); });
    auto &rec = run.rec;

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

// --- /proc/net/snmp Tcp, netstat, snmp6, softnet_stat ------------------------------------------
// fixtures/proc/*_6.18_{before,after}.txt are this development host's real files (kernel 6.18,
// 2 CPUs) around a known workload (fixtures/README.md); softnet_stat_{4.19,5.10,6.12}*.txt are
// written in the column layouts of those kernels.

namespace {

std::string proc_fixture(const std::string &name)
{
    return fixture("proc/" + name);
}

std::shared_ptr<FakeProc> host_proc(const char *when)
{
    auto fs = std::make_shared<FakeProc>();
    for (const char *f : {"snmp", "netstat", "snmp6", "softnet_stat"})
        fs->files[std::string("/proc/net/") + f] =
            proc_fixture(std::string(f) + "_6.18_" + when + ".txt");
    return fs;
}

/// A run between the two real host snapshots; `edit` changes the second one.
Run host_run(void (*edit)(Files &) = nullptr)
{
    return Run(host_proc("before"), [edit](Files &files) {
        files = host_proc("after")->files;
        if (edit)
            edit(files);
    });
}

std::size_t count_prefix(const nsk::CounterMap &m, const std::string &prefix)
{
    std::size_t n = 0;
    for (const auto &kv : m)
        n += kv.first.rfind(prefix, 0) == 0;
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(parse_snmp_real_tcp_line)
{
    const auto m = nsk::parse_snmp(proc_fixture("snmp_6.18_before.txt"));
    BOOST_TEST(m.size() == 82u); // Ip 20, Icmp 29, Tcp 15, Udp 9, UdpLite 9 (no IcmpMsg)
    BOOST_TEST(count_prefix(m, "Tcp.") == 15u);
    BOOST_TEST(m.at("Tcp.RtoMax") == 120000);
    BOOST_TEST(m.at("Tcp.MaxConn") == -1);
    BOOST_TEST(m.at("Tcp.ActiveOpens") == 242);
    BOOST_TEST(m.at("Tcp.InSegs") == 22272);
    BOOST_TEST(m.at("Tcp.OutSegs") == 13810);
    BOOST_TEST(m.at("Tcp.RetransSegs") == 0);
    BOOST_TEST(m.at("Tcp.OutRsts") == 2);
    BOOST_TEST(m.at("Tcp.InCsumErrors") == 0);
    BOOST_TEST(m.at("Ip.OutTransmits") == 15270); // 6.3+ field: read by name, not position
}

BOOST_AUTO_TEST_CASE(parse_netstat_real)
{
    const auto m = nsk::parse_netstat(proc_fixture("netstat_6.18_before.txt"));
    BOOST_TEST(count_prefix(m, "TcpExt.") == 135u);
    BOOST_TEST(count_prefix(m, "IpExt.") == 18u);
    BOOST_TEST(m.size() == 153u); // MPTcpExt is not read
    BOOST_TEST(m.at("TcpExt.TW") == 240);
    BOOST_TEST(m.at("TcpExt.DelayedACKs") == 3);
    BOOST_TEST(m.at("TcpExt.TCPPureAcks") == 304);
    BOOST_TEST(m.at("TcpExt.TCPOrigDataSent") == 919);
    BOOST_TEST(m.at("TcpExt.TCPBacklogDrop") == 0);
    BOOST_TEST(m.at("TcpExt.TCPRcvQDrop") == 0);
    BOOST_TEST(m.at("TcpExt.TCPAODroppedIcmps") == 0); // the last column
    BOOST_TEST(m.at("IpExt.InOctets") == 1095570701);
    BOOST_TEST(m.at("IpExt.InNoECTPkts") == 23737);
    // a header without its value line, and a value line of another length: skipped
    const auto bad =
        nsk::parse_netstat("TcpExt: A B\nIpExt: C\nIpExt: 1\nTcpExt: X Y\nTcpExt: 1\n");
    BOOST_TEST(bad.size() == 1u);
    BOOST_TEST(bad.at("IpExt.C") == 1);
}

BOOST_AUTO_TEST_CASE(parse_snmp6_real)
{
    const auto m = nsk::parse_snmp6(proc_fixture("snmp6_6.18_before.txt"));
    BOOST_TEST(m.size() == 90u);
    BOOST_TEST(count_prefix(m, "Ip6.") == 33u);
    BOOST_TEST(count_prefix(m, "Icmp6.") == 40u);
    BOOST_TEST(count_prefix(m, "Udp6.") == 9u);
    BOOST_TEST(count_prefix(m, "UdpLite6.") == 8u);
    BOOST_TEST(m.at("Ip6.InReceives") == 12);
    BOOST_TEST(m.at("Icmp6.OutType135") == 5);
    BOOST_TEST(m.at("Udp6.NoPorts") == 5);
    BOOST_TEST(m.at("Udp6.OutDatagrams") == 5);
    BOOST_TEST(m.at("Udp6.RcvbufErrors") == 0);
    BOOST_TEST(m.at("Udp6.MemErrors") == 0);
    BOOST_TEST(m.at("UdpLite6.InDatagrams") == 0);
    const auto odd = nsk::parse_snmp6("Weird 4\nIp6 7\nUdp6InErrors\nUdp6NoPorts x\n");
    BOOST_TEST(odd.size() == 2u);
    BOOST_TEST(odd.at("Snmp6.Weird") == 4);
    BOOST_TEST(odd.at("Snmp6.Ip6") == 7);
}

BOOST_AUTO_TEST_CASE(parse_softnet_by_kernel_layout)
{
    // 6.18 (this host), 15 columns: CPU id from column 12
    const auto h = nsk::parse_softnet_stat(proc_fixture("softnet_stat_6.18_before.txt"));
    BOOST_REQUIRE(h.size() == 2u);
    BOOST_TEST(h[0].cpu == 0u);
    BOOST_TEST(h[0].processed == 0x473u);
    BOOST_TEST(h[1].cpu == 1u);
    BOOST_TEST(h[1].processed == 0x5860u);
    BOOST_TEST(h[1].time_squeeze == 2u);
    BOOST_TEST(h[1].dropped == 0u);
    // 6.12 layout (15 columns): gauges (backlog, input_qlen, process_qlen) are not counters
    const auto n = nsk::parse_softnet_stat(proc_fixture("softnet_stat_6.12.txt"));
    BOOST_REQUIRE(n.size() == 2u);
    BOOST_TEST(n[0].cpu == 0u);
    BOOST_TEST(n[0].processed == 0xc0ffeeu);
    BOOST_TEST(n[0].dropped == 0x11u);
    BOOST_TEST(n[0].time_squeeze == 0x22u);
    BOOST_TEST(n[0].received_rps == 0x33u);
    BOOST_TEST(n[0].flow_limit == 0x44u);
    BOOST_TEST(n[1].cpu == 1u);
    BOOST_TEST(n[1].processed == 0xbeefu);
    // 5.10 / 6.1 layout (13 columns), CPU 2 offline: ids 0, 1, 3 from column 12
    const auto o = nsk::parse_softnet_stat(proc_fixture("softnet_stat_5.10_before.txt"));
    BOOST_REQUIRE(o.size() == 3u);
    BOOST_TEST(o[1].cpu == 1u);
    BOOST_TEST(o[1].dropped == 10u);
    BOOST_TEST(o[1].time_squeeze == 16u);
    BOOST_TEST(o[1].received_rps == 2u);
    BOOST_TEST(o[2].cpu == 3u);
    BOOST_TEST(o[2].processed == 0xfffffff0u);
    // 4.19 layout (11 columns): no CPU column, the row number is the CPU
    const auto p = nsk::parse_softnet_stat(proc_fixture("softnet_stat_4.19.txt"));
    BOOST_REQUIRE(p.size() == 2u);
    BOOST_TEST(p[0].cpu == 0u);
    BOOST_TEST(p[0].processed == 0xabcdu);
    BOOST_TEST(p[0].dropped == 1u);
    BOOST_TEST(p[0].flow_limit == 1u);
    BOOST_TEST(p[1].cpu == 1u);
    BOOST_TEST(p[1].time_squeeze == 7u);
    // 3 columns are enough; fewer, or a non-hex word, is not a row
    const auto q = nsk::parse_softnet_stat("00000001 00000002 00000003\n01 02\nzz 00 00\n");
    BOOST_REQUIRE(q.size() == 1u);
    BOOST_TEST(q[0].dropped == 2u);
    BOOST_TEST(q[0].flow_limit == 0u);
}

BOOST_AUTO_TEST_CASE(host_counters_before_after)
{
    // Between the two real snapshots: 5 IPv6 datagrams to a closed port, 40 to an IPv6 socket
    // with the smallest SO_RCVBUF that never reads (1 queued, 39 refused), and one 100000-byte
    // TCP transfer over 127.0.0.1.
    Run run = host_run();
    auto &rec = run.rec;
    const auto d = rec.counter_deltas();
    BOOST_TEST(d.size() == 82u + 153u + 90u);
    BOOST_TEST(d.at("Udp6.NoPorts") == 5);
    BOOST_TEST(d.at("Udp6.RcvbufErrors") == 39);
    BOOST_TEST(d.at("Udp6.InErrors") == 39);
    BOOST_TEST(d.at("Udp6.InDatagrams") == 0); // counted when read, and nobody read
    BOOST_TEST(d.at("Udp6.OutDatagrams") == 45);
    BOOST_TEST(d.at("Ip6.InReceives") == 50);
    BOOST_TEST(d.at("Icmp6.OutDestUnreachs") == 5);
    BOOST_TEST(d.at("Tcp.ActiveOpens") == 1);
    BOOST_TEST(d.at("Tcp.PassiveOpens") == 1);
    BOOST_TEST(d.at("Tcp.InSegs") == 11);
    BOOST_TEST(d.at("Tcp.OutSegs") == 11);
    BOOST_TEST(d.at("Tcp.RetransSegs") == 0);
    BOOST_TEST(d.at("TcpExt.TCPOrigDataSent") == 5);
    BOOST_TEST(d.at("TcpExt.TCPPureAcks") == 4);
    BOOST_TEST(d.at("TcpExt.TW") == 1);
    BOOST_TEST(d.at("TcpExt.TCPRcvQDrop") == 0);
    BOOST_TEST(d.at("IpExt.OutOctets") == 100588);
    BOOST_TEST(d.at("Udp.RcvbufErrors") == 0);
    const auto sn = rec.softnet_deltas();
    BOOST_REQUIRE(sn.has_value());
    BOOST_REQUIRE(sn->size() == 2u);
    BOOST_TEST((*sn)[0].processed == 0u);
    BOOST_TEST((*sn)[1].processed == 0x589du - 0x5860u); // 61
    BOOST_TEST((*sn)[1].dropped == 0u);
    BOOST_TEST((*sn)[1].time_squeeze == 0u);
}

BOOST_AUTO_TEST_CASE(softnet_deltas_wrap_offline_and_hotplug)
{
    auto fs = std::make_shared<FakeProc>();
    fs->files["/proc/net/softnet_stat"] = proc_fixture("softnet_stat_5.10_before.txt");
    nsk::Reconciler rec(fs);
    rec.start();
    BOOST_TEST(rec.counter_deltas().empty()); // no snmp files: no counters, softnet alone
    fs->files["/proc/net/softnet_stat"] = proc_fixture("softnet_stat_5.10_after.txt");
    rec.sample({});
    auto sn = *rec.softnet_deltas();
    BOOST_REQUIRE(sn.size() == 3u);
    BOOST_TEST(sn[0].cpu == 0u);
    BOOST_TEST(sn[0].processed == 10u);
    BOOST_TEST(sn[1].cpu == 1u);
    BOOST_TEST(sn[1].processed == 0x800u);
    BOOST_TEST(sn[1].dropped == 20u);
    BOOST_TEST(sn[1].time_squeeze == 2u);
    BOOST_TEST(sn[1].flow_limit == 4u);
    BOOST_TEST(sn[1].received_rps == 0u);
    BOOST_TEST(sn[2].cpu == 3u);
    BOOST_TEST(sn[2].processed == 0x20u); // 0xfffffff0 -> 0x10: wrapped once
    BOOST_TEST(sn[2].time_squeeze == 1u);
    // CPU 2 comes online; CPU 3 goes offline (keeps its delta)
    fs->files["/proc/net/softnet_stat"] =
        "0001e24b 00000000 00000003 00000000 00000000 00000000 00000000 00000000 00000000 "
        "00000000 00000000 00000000 00000000\n"
        "000f4a40 0000001f 00000012 00000000 00000000 00000000 00000000 00000000 00000000 "
        "00000002 00000004 00000000 00000001\n"
        "00500000 00000009 00000009 00000000 00000000 00000000 00000000 00000000 00000000 "
        "00000000 00000000 00000000 00000002\n";
    rec.sample({});
    sn = *rec.softnet_deltas();
    BOOST_REQUIRE(sn.size() == 4u);
    BOOST_TEST(sn[0].processed == 11u);
    BOOST_TEST(sn[1].dropped == 21u);
    BOOST_TEST(sn[2].cpu == 2u);
    BOOST_TEST(sn[2].processed == 0u); // first seen now: its baseline
    BOOST_TEST(sn[2].dropped == 0u);
    BOOST_TEST(sn[3].cpu == 3u);
    BOOST_TEST(sn[3].processed == 0x20u);
    // a missing file after the start changes nothing
    fs->files.erase("/proc/net/softnet_stat");
    rec.sample({});
    BOOST_TEST((*rec.softnet_deltas())[1].dropped == 21u);

    nsk::Reconciler none(std::make_shared<FakeProc>());
    none.start();
    BOOST_TEST(!none.softnet_deltas().has_value());
}

BOOST_AUTO_TEST_CASE(counter_without_baseline_has_no_delta)
{
    auto fs = std::make_shared<FakeProc>();
    fs->files["/proc/net/snmp"] = fixture("snmp_before.txt");
    Run run(fs, [](Files &files) {
        files["/proc/net/snmp"] = fixture("snmp_after.txt");
        files["/proc/net/netstat"] = proc_fixture("netstat_6.18_after.txt"); // unreadable before
    });
    auto &rec = run.rec;
    const auto d = rec.counter_deltas();
    BOOST_TEST(d.at("Udp.RcvbufErrors") == 37);
    BOOST_TEST(count_prefix(d, "TcpExt.") == 0u);
}

BOOST_AUTO_TEST_CASE(snapshot_capture_roundtrip)
{
    auto fs = host_proc("before");
    nsk::Reconciler rec(fs);
    const auto base = rec.read_start();
    const auto j = nsk::proc_json(base);
    BOOST_TEST(j.contains("netstat"));
    BOOST_TEST(j.contains("snmp6"));
    BOOST_TEST(j.contains("softnet"));
    const auto back = nsk::proc_from_json(nlohmann::json::parse(j.dump()));
    BOOST_TEST((back.snmp == base.snmp));
    BOOST_TEST((back.netstat == base.netstat));
    BOOST_TEST((back.snmp6 == base.snmp6));
    BOOST_REQUIRE(back.softnet.has_value());
    BOOST_REQUIRE(back.softnet->size() == 2u);
    BOOST_TEST((*back.softnet)[1].processed == 0x5860u);
    BOOST_TEST((*back.softnet)[1].time_squeeze == 2u);

    // A snapshot of a capture that predates them: no new keys written, none read back.
    nsk::ProcSnapshot old;
    old.base = true;
    old.snmp = nsk::parse_snmp(fixture("snmp_before.txt"));
    const auto oj = nsk::proc_json(old);
    BOOST_TEST(!oj.contains("netstat"));
    BOOST_TEST(!oj.contains("snmp6"));
    BOOST_TEST(!oj.contains("softnet"));
    const auto ob = nsk::proc_from_json(nlohmann::json::parse(oj.dump()));
    BOOST_TEST(!ob.netstat.has_value());
    BOOST_TEST(!ob.snmp6.has_value());
    BOOST_TEST(!ob.softnet.has_value());
    nsk::Reconciler replay(std::make_shared<FakeProc>());
    replay.apply(ob);
    BOOST_TEST(!replay.softnet_deltas().has_value());
}

namespace {

nsk::SocketRow udp_row(int family, const std::string &local, std::uint64_t drops)
{
    nsk::SocketRow r;
    r.proto = "udp";
    r.family = family;
    r.local = local;
    r.remote = family == 4 ? "0.0.0.0:0" : "[::]:0";
    r.drops_total = drops;
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(reconcile_ipv6_udp_totals)
{
    Run run = host_run();
    auto &rec = run.rec;

    nsk::Summary s;
    s.sockets = {udp_row(6, "[::1]:41000", 39)};
    nsk::reconcile(s, rec);
    BOOST_TEST(s.reconciled); // 39 == Udp6.RcvbufErrors 39 + Udp.RcvbufErrors 0
    BOOST_TEST(s.counters.at("Udp6.RcvbufErrors") == 39);
    BOOST_REQUIRE(s.softnet.has_value());

    s.sockets[0].drops_total = 38;
    nsk::reconcile(s, rec);
    BOOST_REQUIRE(s.mismatches.size() == 1u);
    BOOST_TEST(s.mismatches[0] == "all UDP sockets: saw 38 queue drops (IPv4 0, IPv6 38), "
                                  "Udp.RcvbufErrors+Udp.MemErrors grew by 0, "
                                  "Udp6.RcvbufErrors+Udp6.MemErrors by 39");

    // An IPv4 datagram refused by a dual-stack IPv6 socket counts in Udp.*: one check for both.
    s.sockets = {udp_row(6, "[::]:9000", 39), udp_row(4, "127.0.0.1:9001", 0)};
    nsk::reconcile(s, rec);
    BOOST_TEST(s.reconciled);
    // TCP rows are not UDP queue drops
    nsk::SocketRow tcp = udp_row(4, "127.0.0.1:80", 3);
    tcp.proto = "tcp";
    s.sockets.push_back(tcp);
    nsk::reconcile(s, rec);
    BOOST_TEST(s.reconciled);

    // IPv6 counters without IPv4 ones (and the other way round, the check as before)
    nsk::Reconciler v6only(std::make_shared<FakeProc>());
    nsk::ProcSnapshot b, a;
    b.base = true;
    b.snmp6 = nsk::parse_snmp6(proc_fixture("snmp6_6.18_before.txt"));
    a.snmp6 = nsk::parse_snmp6(proc_fixture("snmp6_6.18_after.txt"));
    v6only.apply(b);
    v6only.apply(a);
    s.sockets = {udp_row(6, "[::1]:41000", 1)};
    nsk::reconcile(s, v6only);
    BOOST_REQUIRE(s.mismatches.size() == 1u);
    BOOST_TEST(s.mismatches[0] == "all IPv6 UDP sockets: saw 1 queue drops, "
                                  "Udp6.RcvbufErrors+Udp6.MemErrors grew by 39");
    BOOST_TEST(!s.softnet.has_value());
}

BOOST_AUTO_TEST_CASE(reports_show_new_counters)
{
    // a backlog drop and squeezes on CPU 1 on top of the real snapshot
    Run run = host_run([](Files &after) {
        after["/proc/net/softnet_stat"] =
            "00000473 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
            "00000000 00000000 00000000 00000000 00000000 00000000\n"
            "000058a0 00000002 00000005 00000000 00000000 00000000 00000000 00000000 00000000 "
            "00000000 00000000 00000000 00000001 00000000 00000000\n";
    });
    auto &rec = run.rec;
    nsk::Summary s;
    nsk::reconcile(s, rec);

    const auto j = nsk::summary_json(s);
    BOOST_TEST(j["counters"]["Tcp.OutSegs"].get<std::int64_t>() == 11);
    BOOST_TEST(j["counters"]["TcpExt.TCPOrigDataSent"].get<std::int64_t>() == 5);
    BOOST_TEST(j["counters"]["Udp6.RcvbufErrors"].get<std::int64_t>() == 39);
    BOOST_TEST(j["softnet"]["dropped"].get<std::uint64_t>() == 2u);
    BOOST_TEST(j["softnet"]["time_squeeze"].get<std::uint64_t>() == 3u);
    BOOST_TEST(j["softnet"]["processed"].get<std::uint64_t>() == 0x40u);
    BOOST_TEST(j["softnet"]["cpus"][1]["cpu"].get<int>() == 1);
    BOOST_TEST(j["softnet"]["cpus"][1]["dropped"].get<std::uint64_t>() == 2u);

    const auto text = nsk::summary_text(s, nsk::TextOptions{});
    const auto sec = text.substr(text.find("\nKernel counters"));
    BOOST_TEST_MESSAGE(sec);
    BOOST_TEST(sec.find("Kernel counters (delta, /proc/net/snmp, /proc/net/netstat, "
                        "/proc/net/snmp6)") == 1u);
    for (const char *shown :
         {"Tcp.OutSegs", "Tcp.InSegs", "Tcp.ActiveOpens", "Udp6.RcvbufErrors", "Udp6.NoPorts",
          "Udp6.OutDatagrams", "Udp.InDatagrams", "Udp.MemErrors"})
        BOOST_TEST(sec.find(shown) != std::string::npos, shown);
    for (const char *hidden :
         {"TcpExt.TCPOrigDataSent", "TcpExt.TCPRcvQDrop", "Ip.InReceives", "Ip6.InReceives",
          "Icmp6.OutDestUnreachs", "IpExt.OutOctets", "Tcp.RetransSegs", "Udp6.InDatagrams"})
        BOOST_TEST(sec.find(hidden) == std::string::npos, hidden);
    BOOST_TEST(sec.find("  softnet_stat: 64 processed, 2 dropped (cpu1 2), 3 time_squeeze "
                        "(cpu1 3)\n") != std::string::npos);
    BOOST_TEST(nsk::is_drop_counter("TcpExt.TCPBacklogDrop"));
    BOOST_TEST(nsk::is_drop_counter("Ip6.InDiscards"));
    BOOST_TEST(!nsk::is_drop_counter("TcpExt.TCPOrigDataSent"));
}

// --- /proc/net/dev: per-device counters of every namespace -------------------------------------
// fixtures/proc/net_dev_6.18.txt is this development host's real file (kernel 6.18); the other
// rows are written with the kernel's own format string (net/core/net-procfs.c).

namespace {

constexpr std::uint32_t kOwnNs = 4026531840U, kPeerNs = 4026532000U;

struct DevCounters {
    std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errs = 0, rx_drop = 0;
    std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errs = 0, tx_drop = 0;
};

/// One row as dev_seq_printf_stats prints it (fifo, frame, compressed, multicast, colls,
/// carrier are set to values of their own so a wrong column shows).
std::string net_dev_row(const char *name, const DevCounters &c)
{
    char buf[512];
    std::snprintf(
        buf, sizeof(buf),
        "%6s: %7llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu %8llu %7llu %4llu %4llu "
        "%4llu %5llu %7llu %10llu\n",
        name, static_cast<unsigned long long>(c.rx_bytes),
        static_cast<unsigned long long>(c.rx_packets), static_cast<unsigned long long>(c.rx_errs),
        static_cast<unsigned long long>(c.rx_drop), 901ULL, 902ULL, 903ULL, 904ULL,
        static_cast<unsigned long long>(c.tx_bytes), static_cast<unsigned long long>(c.tx_packets),
        static_cast<unsigned long long>(c.tx_errs), static_cast<unsigned long long>(c.tx_drop),
        905ULL, 906ULL, 907ULL, 908ULL);
    return buf;
}

const char *kNetDevHeader =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";

std::string net_dev(const std::vector<std::pair<const char *, DevCounters>> &rows)
{
    std::string out = kNetDevHeader;
    for (const auto &[name, c] : rows)
        out += net_dev_row(name, c);
    return out;
}

const nsk::DeviceDelta *find_dev(const std::vector<nsk::DeviceDelta> &v, std::uint32_t ns,
                                 const std::string &name)
{
    for (const auto &d : v)
        if (d.netns == ns && d.name == name)
            return &d;
    return nullptr;
}

/// The router-like setup of the tests below: our namespace (lo, eth0) and a peer namespace
/// (pid 300: lo, veth0), then traffic on eth0 and veth0.
std::shared_ptr<FakeProc> devices_proc()
{
    auto fs = std::make_shared<FakeProc>();
    fs->files["/proc/net/dev"] =
        net_dev({{"lo", {100, 2, 0, 0, 100, 2, 0, 0}}, {"eth0", {5000, 40, 1, 2, 3000, 30, 0, 0}}});
    fs->files["/proc/300/net/dev"] =
        net_dev({{"lo", {0, 0, 0, 0, 0, 0, 0, 0}}, {"veth0", {700, 7, 0, 0, 800, 8, 0, 1}}});
    return fs;
}

} // namespace

BOOST_AUTO_TEST_CASE(parse_proc_net_dev_real)
{
    const auto d = nsk::parse_proc_net_dev(proc_fixture("net_dev_6.18.txt"));
    BOOST_REQUIRE(d.size() == 4u); // the two header lines are not devices
    BOOST_TEST(d[0].name == "lo");
    BOOST_TEST(d[0].rx_bytes == 36487611u);
    BOOST_TEST(d[0].rx_packets == 64956u);
    BOOST_TEST(d[0].tx_bytes == 36487611u);
    BOOST_TEST(d[0].tx_packets == 64956u);
    BOOST_TEST(d[1].name == "ifb0");
    BOOST_TEST(d[2].name == "ifb1");
    BOOST_TEST(d[3].name == "eth0");
    BOOST_TEST(d[3].rx_bytes == 492082497u); // wider than its column: still one field
    BOOST_TEST(d[3].rx_packets == 9779u);
    BOOST_TEST(d[3].tx_bytes == 396494u);
    BOOST_TEST(d[3].tx_packets == 5748u);
    BOOST_TEST(d[3].rx_dropped == 0u);
    BOOST_TEST(d[3].tx_errors == 0u);
}

BOOST_AUTO_TEST_CASE(parse_proc_net_dev_columns_and_names)
{
    const auto d = nsk::parse_proc_net_dev(
        std::string(kNetDevHeader) + net_dev_row("eth0", {1, 2, 3, 4, 5, 6, 7, 8}) +
        // a 15-character name (IFNAMSIZ - 1) touches the colon; u64 values past 2^32
        net_dev_row("veth1a2b3c4d5e6", {1ULL << 40, 5000000000ULL, 0, 0, 9, 10, 0, 0}) +
        // 2.6 kernels printed no space after the colon; an alias-style name holds a colon
        "eth0:1:123456789 11 12 13 0 0 0 0 987654321 14 15 16 0 0 0 0\n"
        // a name with a space in it (not valid on current kernels, but not for the parser to
        // judge), and a tab before the name
        "\tmy dev: 1 1 0 0 0 0 0 0 2 2 0 0 0 0 0 0\n"
        // not devices: too few counters, a non-number, an empty name, an empty line
        "  bad0: 1 2 3 4 5 6 7 8 9 10 11\n"
        "  bad1: 1 2 3 4 5 6 7 8 9 10 11 x 13 14 15 16\n"
        "      : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
        "\n");
    BOOST_REQUIRE(d.size() == 4u);
    BOOST_TEST(d[0].name == "eth0");
    // each counter from its own column: rx bytes packets errs drop, tx bytes packets errs drop
    BOOST_TEST(d[0].rx_bytes == 1u);
    BOOST_TEST(d[0].rx_packets == 2u);
    BOOST_TEST(d[0].rx_errors == 3u);
    BOOST_TEST(d[0].rx_dropped == 4u);
    BOOST_TEST(d[0].tx_bytes == 5u);
    BOOST_TEST(d[0].tx_packets == 6u);
    BOOST_TEST(d[0].tx_errors == 7u);
    BOOST_TEST(d[0].tx_dropped == 8u);
    BOOST_TEST(d[1].name == "veth1a2b3c4d5e6");
    BOOST_TEST(d[1].rx_bytes == (1ULL << 40));
    BOOST_TEST(d[1].rx_packets == 5000000000ULL);
    BOOST_TEST(d[2].name == "eth0:1");
    BOOST_TEST(d[2].rx_bytes == 123456789u);
    BOOST_TEST(d[2].rx_packets == 11u);
    BOOST_TEST(d[2].rx_errors == 12u);
    BOOST_TEST(d[2].rx_dropped == 13u);
    BOOST_TEST(d[2].tx_bytes == 987654321u);
    BOOST_TEST(d[2].tx_packets == 14u);
    BOOST_TEST(d[2].tx_errors == 15u);
    BOOST_TEST(d[2].tx_dropped == 16u);
    BOOST_TEST(d[3].name == "my dev");
    BOOST_TEST(d[3].tx_packets == 2u);
    BOOST_TEST(nsk::parse_proc_net_dev(kNetDevHeader).empty());
    BOOST_TEST(nsk::parse_proc_net_dev("").empty());
}

BOOST_AUTO_TEST_CASE(device_deltas_every_namespace)
{
    auto fs = devices_proc();
    nsk::Reconciler rec(fs);
    const auto base = rec.read_start();
    BOOST_REQUIRE(base.devices.has_value());
    BOOST_REQUIRE(base.devices->size() == 2u); // ours, then pid 300's (pids 1 and 2 are ours)
    BOOST_TEST((*base.devices)[0].netns == kOwnNs);
    BOOST_TEST((*base.devices)[0].devices.size() == 2u);
    BOOST_TEST((*base.devices)[1].netns == kPeerNs);
    BOOST_TEST((*base.devices)[1].devices.size() == 2u);
    rec.apply(base);
    auto d = *rec.device_deltas();
    BOOST_TEST(d.size() == 4u);
    for (const auto &x : d)
        BOOST_TEST(!x.moved());

    // eth0 forwards 10 packets to veth0 in the peer namespace; lo is idle in both
    fs->files["/proc/net/dev"] =
        net_dev({{"lo", {100, 2, 0, 0, 100, 2, 0, 0}}, {"eth0", {6000, 50, 1, 5, 3000, 30, 0, 0}}});
    fs->files["/proc/300/net/dev"] =
        net_dev({{"lo", {0, 0, 0, 0, 0, 0, 0, 0}}, {"veth0", {700, 7, 0, 0, 1800, 18, 2, 1}}});
    const auto s1 = rec.read_sample({});
    // only what changed is in the snapshot
    BOOST_REQUIRE(s1.devices.has_value());
    BOOST_REQUIRE(s1.devices->size() == 2u);
    BOOST_REQUIRE((*s1.devices)[0].devices.size() == 1u);
    BOOST_TEST((*s1.devices)[0].devices[0].name == "eth0");
    BOOST_REQUIRE((*s1.devices)[1].devices.size() == 1u);
    BOOST_TEST((*s1.devices)[1].devices[0].name == "veth0");
    rec.apply(s1);
    d = *rec.device_deltas();
    const auto *eth0 = find_dev(d, kOwnNs, "eth0");
    BOOST_REQUIRE(eth0);
    BOOST_TEST(eth0->rx_bytes == 1000u);
    BOOST_TEST(eth0->rx_packets == 10u);
    BOOST_TEST(eth0->rx_dropped == 3u);
    BOOST_TEST(eth0->rx_errors == 0u);
    BOOST_TEST(eth0->tx_packets == 0u);
    const auto *veth0 = find_dev(d, kPeerNs, "veth0");
    BOOST_REQUIRE(veth0);
    BOOST_TEST(veth0->tx_bytes == 1000u);
    BOOST_TEST(veth0->tx_packets == 10u);
    BOOST_TEST(veth0->tx_errors == 2u);
    BOOST_TEST(veth0->tx_dropped == 0u);
    BOOST_TEST(!find_dev(d, kOwnNs, "lo")->moved());
    BOOST_TEST(find_dev(d, kPeerNs, "lo") != find_dev(d, kOwnNs, "lo")); // same name, two rows

    // veth1 is created in the peer namespace (starts at its first value), eth0 is deleted
    // (keeps its delta), lo of ours is deleted and recreated (its counters restarted and are
    // below the old ones: it grew by its new values)
    fs->files["/proc/net/dev"] = net_dev({{"lo", {30, 1, 0, 0, 30, 1, 0, 0}}});
    fs->files["/proc/300/net/dev"] = net_dev({{"lo", {0, 0, 0, 0, 0, 0, 0, 0}},
                                              {"veth0", {700, 7, 0, 0, 1800, 18, 2, 1}},
                                              {"veth1", {64, 1, 0, 0, 0, 0, 0, 0}}});
    rec.sample({});
    fs->files["/proc/300/net/dev"] = net_dev({{"lo", {0, 0, 0, 0, 0, 0, 0, 0}},
                                              {"veth0", {700, 7, 0, 0, 1800, 18, 2, 1}},
                                              {"veth1", {192, 3, 0, 0, 0, 0, 0, 0}}});
    rec.sample({});
    d = *rec.device_deltas();
    BOOST_TEST(d.size() == 5u);
    BOOST_TEST(find_dev(d, kOwnNs, "eth0")->rx_packets == 10u);
    BOOST_TEST(find_dev(d, kOwnNs, "lo")->rx_packets == 1u);
    BOOST_TEST(find_dev(d, kOwnNs, "lo")->tx_bytes == 30u);
    BOOST_REQUIRE(find_dev(d, kPeerNs, "veth1"));
    BOOST_TEST(find_dev(d, kPeerNs, "veth1")->rx_packets == 2u);
    BOOST_TEST(find_dev(d, kPeerNs, "veth1")->rx_bytes == 128u);

    // pid 300 exits and its number goes to a process of our namespace: its file is not read
    // as the peer namespace's any more
    fs->netns[300] = kOwnNs;
    fs->files["/proc/300/net/dev"] = net_dev({{"veth0", {0, 0, 0, 0, 0, 0, 0, 0}}});
    const auto s2 = rec.read_sample({});
    BOOST_REQUIRE(s2.devices.has_value());
    BOOST_TEST(s2.devices->empty()); // read, nothing changed
    rec.apply(s2);
    BOOST_TEST(find_dev(*rec.device_deltas(), kPeerNs, "veth0")->tx_packets == 10u);

    // no /proc/net/dev anywhere: no device deltas at all (not zeros)
    nsk::Reconciler none(std::make_shared<FakeProc>());
    none.start();
    BOOST_TEST(!none.device_deltas().has_value());
    BOOST_TEST(!none.read_sample({}).devices.has_value());
}

BOOST_AUTO_TEST_CASE(device_snapshots_capture_roundtrip)
{
    // The live reconciler and one fed the snapshots back from their capture JSON end with the
    // same deltas.
    auto fs = devices_proc();
    nsk::Reconciler live(fs), replay(std::make_shared<FakeProc>());
    std::vector<nsk::ProcSnapshot> snaps{live.read_start()};
    live.apply(snaps.back());
    fs->files["/proc/net/dev"] =
        net_dev({{"lo", {100, 2, 0, 0, 100, 2, 0, 0}}, {"eth0", {6000, 50, 1, 5, 3000, 30, 0, 0}}});
    snaps.push_back(live.read_sample({}));
    live.apply(snaps.back());
    fs->files["/proc/300/net/dev"] = net_dev({{"veth0", {700, 7, 0, 0, 900, 9, 0, 4}}});
    snaps.push_back(live.read_sample({}));
    live.apply(snaps.back());
    for (const auto &s : snaps) {
        const auto j = nsk::proc_json(s);
        BOOST_TEST(j.contains("devices"));
        const auto back = nsk::proc_from_json(nlohmann::json::parse(j.dump()));
        BOOST_TEST(nsk::proc_json(back).dump() == j.dump());
        replay.apply(back);
    }
    const auto a = *live.device_deltas(), b = *replay.device_deltas();
    BOOST_REQUIRE(a.size() == b.size());
    BOOST_REQUIRE(a.size() == 4u);
    for (std::size_t i = 0; i < a.size(); ++i) {
        BOOST_TEST(a[i].netns == b[i].netns);
        BOOST_TEST(a[i].name == b[i].name);
        for (const auto &f : nsk::kDeviceFields)
            BOOST_TEST((a[i].*f.delta) == (b[i].*f.delta), f.key);
    }
    BOOST_TEST(find_dev(b, kPeerNs, "veth0")->tx_dropped == 3u);
    BOOST_TEST(find_dev(b, kOwnNs, "eth0")->rx_bytes == 1000u);

    // The JSON of one namespace: {"netns", "devices": [{"name", the counters}]}
    const auto j = nsk::proc_json(snaps[1]);
    BOOST_TEST(j["devices"][0]["netns"].get<std::uint32_t>() == kOwnNs);
    BOOST_TEST(j["devices"][0]["devices"][0].dump() ==
               R"({"name":"eth0","rx_packets":50,"rx_bytes":6000,"rx_dropped":5,"rx_errors":1,)"
               R"("tx_packets":30,"tx_bytes":3000,"tx_dropped":0,"tx_errors":0,"qdisc_drops":0})");

    // A capture that predates devices: no key written, none read, no device deltas.
    nsk::ProcSnapshot old;
    old.base = true;
    old.snmp = nsk::parse_snmp(fixture("snmp_before.txt"));
    BOOST_TEST(!nsk::proc_json(old).contains("devices"));
    const auto ob = nsk::proc_from_json(nlohmann::json::parse(nsk::proc_json(old).dump()));
    BOOST_TEST(!ob.devices.has_value());
    nsk::Reconciler old_replay(std::make_shared<FakeProc>());
    old_replay.apply(ob);
    BOOST_TEST(!old_replay.device_deltas().has_value());
    nsk::Summary s;
    nsk::reconcile(s, old_replay);
    BOOST_TEST(!s.devices.has_value());
    BOOST_TEST(!nsk::summary_json(s).contains("devices"));
}

BOOST_AUTO_TEST_CASE(devices_in_reports)
{
    auto fs = devices_proc();
    Run run(fs, [](Files &files) {
        files["/proc/net/dev"] = net_dev(
            {{"lo", {100, 2, 0, 0, 100, 2, 0, 0}}, {"eth0", {6000, 50, 1, 5, 3000, 30, 0, 0}}});
        files["/proc/300/net/dev"] =
            net_dev({{"lo", {0, 0, 0, 0, 0, 0, 0, 0}}, {"veth0", {700, 7, 0, 0, 1800, 18, 2, 1}}});
    });
    nsk::Summary s;
    nsk::reconcile(s, run.rec);
    BOOST_REQUIRE(s.devices.has_value());
    BOOST_REQUIRE(s.devices->size() == 2u); // only the devices that moved: not the two lo

    const auto j = nsk::summary_json(s);
    // after softnet (absent here) and counters, before loss
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it)
        keys.push_back(it.key());
    const auto at = [&](const char *k) {
        return std::find(keys.begin(), keys.end(), k) - keys.begin();
    };
    BOOST_TEST(at("devices") == at("counters") + 1);
    BOOST_TEST(at("loss") == at("devices") + 1);
    BOOST_REQUIRE(j["devices"].size() == 2u);
    BOOST_TEST(j["devices"][0].dump() ==
               R"({"netns":4026531840,"name":"eth0","rx_packets":10,"rx_bytes":1000,)"
               R"("rx_dropped":3,"rx_errors":0,"tx_packets":0,"tx_bytes":0,"tx_dropped":0,)"
               R"("tx_errors":0,"qdisc_drops":0})");
    BOOST_TEST(j["devices"][1].dump() ==
               R"({"netns":4026532000,"name":"veth0","rx_packets":0,"rx_bytes":0,)"
               R"("rx_dropped":0,"rx_errors":0,"tx_packets":10,"tx_bytes":1000,"tx_dropped":0,)"
               R"("tx_errors":2,"qdisc_drops":0})");

    const auto text = nsk::summary_text(s, nsk::TextOptions{});
    BOOST_TEST_MESSAGE(text);
    const auto sec = text.substr(text.find("\nKernel counters"));
    BOOST_TEST(sec.find("  /proc/net/dev (devices whose counters moved):\n"
                        "    NETNS       DEVICE  RX_PACKETS  RX_BYTES  RX_DROPPED  RX_ERRORS  "
                        "TX_PACKETS  TX_BYTES  TX_DROPPED  TX_ERRORS  QDISC_DROPS\n"
                        "    4026531840  eth0            10      1000           3          0  "
                        "         0         0           0          0            0\n"
                        "    4026532000  veth0            0         0           0          0  "
                        "        10      1000           0          2            0\n") != std::string::npos);
    BOOST_TEST(sec.find("(not available)") == std::string::npos);

    const auto metrics = nsk::render_text(s, true);
    BOOST_TEST(metrics.find("# TYPE netstack_kmon_device_delta gauge\n") != std::string::npos);
    BOOST_TEST(metrics.find("netstack_kmon_device_delta{netns=\"4026532000\",device=\"veth0\","
                            "counter=\"tx_packets\"} 10\n") != std::string::npos);
    BOOST_TEST(metrics.find("device=\"lo\"") == std::string::npos); // did not move

    // Read but nothing moved: an empty list, and one line that says so.
    Run idle(devices_proc(), [](Files &) {});
    nsk::Summary si;
    nsk::reconcile(si, idle.rec);
    BOOST_REQUIRE(si.devices.has_value());
    BOOST_TEST(si.devices->empty());
    BOOST_TEST(nsk::summary_json(si)["devices"].dump() == "[]");
    BOOST_TEST(nsk::summary_text(si).find("  /proc/net/dev: no device counters moved\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(forwarded_datagrams_counter_shown_when_moved)
{
    // Ip.ForwDatagrams is this namespace's forwarding count: the text shows it when it moved
    // (JSON counters always has it), other Ip.* stay out of the text.
    nsk::Summary s;
    s.counters = {{"Ip.ForwDatagrams", 12}, {"Ip.InReceives", 30}};
    auto text = nsk::summary_text(s);
    BOOST_TEST(text.find("Ip.ForwDatagrams") != std::string::npos);
    BOOST_TEST(text.find("Ip.InReceives") == std::string::npos);
    s.counters["Ip.ForwDatagrams"] = 0;
    text = nsk::summary_text(s);
    BOOST_TEST(text.find("Ip.ForwDatagrams") == std::string::npos);
    // and the snmp parser keeps it
    const auto m = nsk::parse_snmp(proc_fixture("snmp_6.18_before.txt"));
    BOOST_TEST(m.count("Ip.ForwDatagrams") == 1u);
}

// A router namespace made with `ip netns add` has no process: the reconciler reads its
// counters and devices from inside it (/run/netns/NAME), and every namespace's root qdisc
// drops (rtnetlink).  The tool's forwarded packets per namespace are reconciled with
// Ip.ForwDatagrams + Ip6.OutForwDatagrams there.
BOOST_AUTO_TEST_CASE(named_namespace_counters_qdiscs_and_forwarding)
{
    constexpr std::uint32_t kRouterNs = 4026532500U;
    const std::string rpath = "/run/netns/r";
    auto snmp = [](long forw) {
        return "Ip: Forwarding DefaultTTL InReceives ForwDatagrams\nIp: 1 64 " +
               std::to_string(forw + 5) + " " + std::to_string(forw) + "\n";
    };
    auto fs = devices_proc();
    fs->files["/proc/net/snmp"] = snmp(0);
    fs->own_qdiscs = std::map<std::string, std::uint64_t>{{"eth0", 7}};
    fs->named = {{"r", rpath, kRouterNs}, {"p", "/run/netns/p", kPeerNs}}; // p: pid 300's too
    auto look = [&](long forw, std::uint64_t qd) {
        nsk::NetnsView v;
        v.files["snmp"] = snmp(forw);
        v.files["snmp6"] = "Ip6OutForwDatagrams              \t" + std::to_string(forw / 10) + "\n";
        v.files["dev"] = net_dev({{"r0", {0, 0, 0, 0, 0, 0, 0, 0}}});
        v.qdisc_drops = std::map<std::string, std::uint64_t>{{"r0", qd}};
        fs->inside[rpath] = v;
    };
    look(100, 5);
    nsk::Reconciler rec(fs);
    const auto base = rec.read_start();
    BOOST_REQUIRE(base.netns_counters.has_value());
    BOOST_REQUIRE(base.netns_counters->size() == 1u); // pid 300's has no snmp file here
    BOOST_TEST((*base.netns_counters)[0].netns == kRouterNs);
    BOOST_TEST((*base.netns_counters)[0].name == "r");
    BOOST_TEST((*base.netns_counters)[0].counters.at("Ip.ForwDatagrams") == 100);
    BOOST_REQUIRE(base.devices.has_value());
    BOOST_REQUIRE(base.devices->size() == 3u); // ours, pid 300's, r's
    rec.apply(base);

    look(130, 12); // r forwarded 30 IPv4 and 3 IPv6 packets, its qdisc dropped 7
    fs->own_qdiscs = std::map<std::string, std::uint64_t>{{"eth0", 9}};
    const auto s1 = rec.read_sample({});
    BOOST_REQUIRE(s1.netns_counters.has_value()); // only what changed
    BOOST_REQUIRE(s1.netns_counters->size() == 1u);
    BOOST_TEST((*s1.netns_counters)[0].counters.size() == 3u); // InReceives, ForwDatagrams, Ip6
    // the snapshot goes through a capture unchanged
    const auto back = nsk::proc_from_json(nlohmann::json::parse(nsk::proc_json(s1).dump()));
    BOOST_REQUIRE(back.netns_counters.has_value());
    BOOST_TEST((*back.netns_counters)[0].name == "r");
    BOOST_TEST((*back.netns_counters)[0].counters == (*s1.netns_counters)[0].counters);
    rec.apply(back);

    const auto d = rec.netns_counter_deltas();
    BOOST_REQUIRE(d.size() == 1u);
    BOOST_TEST(d[0].name == "r");
    BOOST_TEST(d[0].counters.at("Ip.ForwDatagrams") == 30);
    BOOST_TEST(d[0].counters.at("Ip6.OutForwDatagrams") == 3);
    const auto dev = *rec.device_deltas();
    BOOST_REQUIRE(find_dev(dev, kRouterNs, "r0"));
    BOOST_TEST(find_dev(dev, kRouterNs, "r0")->qdisc_drops == 7u);
    BOOST_TEST(find_dev(dev, kOwnNs, "eth0")->qdisc_drops == 2u);

    // the tool saw 33 forwarded in r: reconciled; JSON and text say so
    nsk::Summary s;
    s.forwarding = {{kRouterNs, {}, 33, std::nullopt}};
    nsk::reconcile(s, rec);
    BOOST_TEST(s.reconciled);
    BOOST_REQUIRE(s.forwarding.size() == 1u);
    BOOST_TEST(s.forwarding[0].name == "r");
    BOOST_TEST(*s.forwarding[0].kernel == 33);
    const auto j = nsk::summary_json(s);
    BOOST_TEST(j["forwarding"][0]["reconciled"] == true);
    BOOST_TEST(j["namespaces"][0]["counters"]["Ip.ForwDatagrams"] == 30);
    BOOST_TEST(j["devices"].dump().find("\"qdisc_drops\":7") != std::string::npos);
    BOOST_TEST(nsk::summary_text(s).find("forwarded in netns 4026532500 (r): 33 seen, "
                                         "Ip.ForwDatagrams+Ip6.OutForwDatagrams 33") !=
               std::string::npos);
    // one packet short: a mismatch; a namespace only the kernel saw forward gets a row
    s.forwarding = {{kRouterNs, {}, 32, std::nullopt}};
    nsk::reconcile(s, rec);
    BOOST_TEST(!s.reconciled);
    BOOST_TEST(s.mismatches.size() == 1u);
    s.forwarding.clear();
    nsk::reconcile(s, rec);
    BOOST_REQUIRE(s.forwarding.size() == 1u);
    BOOST_TEST(s.forwarding[0].tool == 0u);
    BOOST_TEST(!s.reconciled);
    nsk::reconcile(s, rec); // again: the kernel-only row is made once
    BOOST_TEST(s.forwarding.size() == 1u);
    // filtered: shown, not compared
    s.filters.port = 9000;
    nsk::reconcile(s, rec);
    BOOST_TEST(s.reconciled);
    BOOST_TEST(nsk::summary_json(s)["forwarding"][0]["reconciled"].is_null());
}
