#define BOOST_TEST_MODULE report_text
#include <boost/test/unit_test.hpp>

#include "sample_summary.hpp"

#include "nsk/report.hpp"
#include "nsk/status.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

BOOST_AUTO_TEST_CASE(full_report_golden)
{
    const auto text = nsk::summary_text(synth::sample_summary());
    if (!synth::matches_golden("report_full.txt", text))
        std::cerr << "---- actual ----\n" << text;
    BOOST_TEST(synth::matches_golden("report_full.txt", text));
}

BOOST_AUTO_TEST_CASE(drops_report_golden)
{
    nsk::TextOptions o;
    o.mode = nsk::ReportMode::drops;
    const auto text = nsk::summary_text(synth::sample_summary(), o);
    if (!synth::matches_golden("report_drops.txt", text))
        std::cerr << "---- actual ----\n" << text;
    BOOST_TEST(synth::matches_golden("report_drops.txt", text));
}

BOOST_AUTO_TEST_CASE(loss_line)
{
    nsk::Summary s;
    BOOST_TEST(nsk::summary_text(s).find("\nloss: none\n") != std::string::npos);
    s.loss.ring = 12;
    s.loss.netlink = 340;
    s.loss.enobufs = 2;
    const auto t = nsk::summary_text(s);
    BOOST_TEST(t.find("loss: ring 12 records (per-CPU buffer full), netlink 340 records (2 "
                      "ENOBUFS)") != std::string::npos);
    BOOST_TEST(t.find("incomplete journeys") == std::string::npos); // zero items are omitted
}

BOOST_AUTO_TEST_CASE(mismatch_marker)
{
    const auto text = nsk::summary_text(synth::sample_summary());
    BOOST_TEST(text.find("31 MISMATCH") != std::string::npos);
    BOOST_TEST(text.find("MISMATCH: udp 239.1.1.1:5000") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_golden)
{
    nsk::Status st;
    st.module_version = "0.1.0";
    st.family_version = 1;
    st.record_version = 1;
    st.kernel_release = "6.1.0-test-amd64";
    st.nr_cpus = 2;
    st.ring_bytes = 1 << 20;
    st.clock = "mono_fast";
    st.probes = {{NSK_PROBE_IP_RCV, "ip_rcv", NSK_PROBE_KIND_KPROBE, NSK_PATH_RX, true, 0, "ip_rcv",
                  1234, "", 0},
                 {NSK_PROBE_UDP_ENQUEUE, "udp_enqueue", NSK_PROBE_KIND_KPROBE, NSK_PATH_RX, false,
                  -2, "", 0, "symbol not found", 0},
                 {NSK_PROBE_KFREE_SKB, "kfree_skb", NSK_PROBE_KIND_TRACEPOINT, NSK_PATH_DROP, true,
                  0, "skb:kfree_skb", 7, "", 0}};
    st.cpus = {{0, 10, 9, 1, 0, 0, 0, 9, 1}, {1, 5, 5, 0, 0, 0, 0, 5, 1}};
    const auto text = nsk::status_text(st);
    if (!synth::matches_golden("status.txt", text))
        std::cerr << "---- actual ----\n" << text;
    BOOST_TEST(synth::matches_golden("status.txt", text));
    const auto j = nsk::status_json(st);
    BOOST_TEST(j["module_loaded"] == true);
    BOOST_TEST(j["probes"][1]["error"] == "ENOENT");
    BOOST_TEST(j["probes"][0]["error"].is_null());
    BOOST_TEST(j["probes"][2]["kind"] == "tracepoint");
    BOOST_TEST(j["probes"][2]["path"] == "drop");
    for (const char *k : {"cpu", "written", "ring_full", "netlink_fail", "filtered", "sampled_out"})
        BOOST_TEST(j["cpus"][0].contains(k));
    for (const char *k : {"module_loaded", "module_version", "family_version", "collecting",
                          "probes", "cpus", "config"})
        BOOST_TEST(j.contains(k));
}
