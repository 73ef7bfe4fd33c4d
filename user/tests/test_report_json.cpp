#define BOOST_TEST_MODULE report_json
#include <boost/test/unit_test.hpp>

#include "sample_summary.hpp"

#include "nsk/report.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace {
std::set<std::string> keys(const nsk::ojson &j)
{
    std::set<std::string> k;
    for (auto it = j.begin(); it != j.end(); ++it)
        k.insert(it.key());
    return k;
}
const std::set<std::string> kLatency{"count",   "p50_ns", "p90_ns", "p99_ns",
                                     "p999_ns", "max_ns", "hist"};
} // namespace

BOOST_AUTO_TEST_CASE(summary_has_exactly_the_keys)
{
    const auto j = nsk::summary_json(synth::sample_summary());
    BOOST_TEST((keys(j) == std::set<std::string>{"type", "duration_s", "kernel", "module_version",
                                                 "events", "histogram", "totals", "stages",
                                                 "journeys", "sockets", "drops", "counters", "loss",
                                                 "loss_detail", "reconciled", "mismatches",
                                                 "probes_seen", "cpus", "filters"}));
    BOOST_TEST(j["type"] == "summary");
    BOOST_TEST(j["histogram"] == "log-linear");
    BOOST_TEST((keys(j["totals"]) == std::set<std::string>{"tx", "rx", "queue", "end_to_end"}));
    for (const char *t : {"tx", "rx", "queue", "end_to_end"})
        BOOST_TEST((keys(j["totals"][t]) == kLatency));
    BOOST_TEST(j["totals"]["tx"]["count"] == 0);
    BOOST_TEST(j["totals"]["end_to_end"]["count"] == 0);
    // (late: the sample's pipeline applied 99 records after the reorder window, out of order)
    BOOST_TEST((keys(j["loss"]) ==
                std::set<std::string>{"ring", "netlink", "user", "incomplete_journeys", "late"}));
    BOOST_TEST((keys(j["journeys"]) == std::set<std::string>{"tx", "rx"}));
    for (const char *k : {"complete", "incomplete", "dropped"}) {
        BOOST_TEST(j["journeys"]["tx"].contains(k));
        BOOST_TEST(j["journeys"]["rx"].contains(k));
    }

    BOOST_REQUIRE(!j["stages"].empty());
    for (const auto &st : j["stages"]) {
        auto k = keys(st);
        for (const char *x : {"path", "from", "to"})
            BOOST_TEST(k.erase(x) == 1u);
        BOOST_TEST((k == kLatency));
    }
    BOOST_REQUIRE(j["sockets"].size() == 3u);
    for (const auto &s : j["sockets"]) {
        for (const char *x :
             {"proto", "family", "local", "remote", "netns", "pid", "comm", "rx_packets",
              "tx_packets", "drops", "drops_total", "kernel_drops_delta", "queue"})
            BOOST_TEST(s.contains(x), "socket lacks " << x);
        BOOST_TEST((keys(s["queue"]) == kLatency));
    }
    for (const auto &d : j["drops"])
        for (const char *x : {"reason", "location", "count"})
            BOOST_TEST(d.contains(x));
    BOOST_TEST(j["counters"]["Udp.RcvbufErrors"] == 30);
}

BOOST_AUTO_TEST_CASE(summary_values)
{
    const auto j = nsk::summary_json(synth::sample_summary());
    BOOST_TEST(j["journeys"]["rx"]["complete"] == 250);
    BOOST_TEST(j["journeys"]["rx"]["dropped"] == 30);
    BOOST_TEST(j["journeys"]["rx"]["incomplete"] == 0);
    const auto &slow = j["sockets"][0];
    BOOST_TEST(slow["comm"] == "slowpoke");
    BOOST_TEST(slow["rx_packets"] == 10);
    BOOST_TEST(slow["drops_total"] == 30);
    BOOST_TEST(slow["drops"]["SOCKET_RCVBUFF"] == 30);
    BOOST_TEST(slow["kernel_drops_delta"] == 31);
    BOOST_TEST(slow["reconciled"] == false);
    BOOST_TEST(j["reconciled"] == false);
    BOOST_TEST(j["sockets"][1]["rx_packets"] == 200);
    BOOST_TEST(j["sockets"][1]["pid"] == 2001);
    BOOST_TEST(j["sockets"][1]["local"] == "127.0.0.1:9000");
    BOOST_TEST(j["drops"][0]["location"] == "__udp_enqueue_schedule_skb+0x1c2");
    BOOST_TEST(j["probes_seen"]["ip_rcv"] == 240);
    BOOST_TEST(j["probes_seen"]["udp_enqueue"] == 280);
    for (const auto &st : j["stages"]) {
        BOOST_TEST(st["p50_ns"] <= st["p90_ns"]);
        BOOST_TEST(st["p99_ns"] <= st["p999_ns"]);
        BOOST_TEST(st["p999_ns"] <= st["max_ns"]);
    }
    // hist entries are [lower, upper, count] for non-empty buckets
    for (const auto &b : j["totals"]["rx"]["hist"]) {
        BOOST_TEST(b.size() == 3u);
        BOOST_TEST(b[1].get<std::uint64_t>() == 2 * std::max<std::uint64_t>(1, b[0]));
        BOOST_TEST(b[2].get<std::uint64_t>() > 0u);
    }
}

// The replay of a capture from before the log-linear histograms: the percentiles it printed
// (log2-interpolated), the same fields, and "histogram": "log2" saying so.
BOOST_AUTO_TEST_CASE(log2_precision_summary)
{
    auto s = synth::sample_summary();
    const auto fine = nsk::summary_json(s);
    nsk::set_precision(s, nsk::Precision::log2);
    const auto j = nsk::summary_json(s);
    BOOST_TEST(j["histogram"] == "log2");
    BOOST_TEST(keys(j) == keys(fine));
    BOOST_TEST(j["totals"]["rx"]["hist"] == fine["totals"]["rx"]["hist"]); // same log2 view
    BOOST_TEST(j["totals"]["rx"]["max_ns"] == fine["totals"]["rx"]["max_ns"]);
    // rx: 250 samples in [2048, 4096), max 3500: rank 125 interpolated to 2048 + 2048/2
    BOOST_TEST(j["totals"]["rx"]["p50_ns"] == 3072);
    BOOST_TEST(fine["totals"]["rx"]["p50_ns"] != 3072);
    BOOST_TEST((s.sockets[1].queue.precision() == nsk::Precision::log2)); // every histogram
    BOOST_TEST((s.stages.front().hist.precision() == nsk::Precision::log2));
}

BOOST_AUTO_TEST_CASE(interval_line)
{
    const auto j = nsk::summary_json(synth::sample_summary(), "interval", 1.0);
    BOOST_TEST(j["type"] == "interval");
    BOOST_TEST(j["interval_s"] == 1.0);
    const std::string line = j.dump();
    BOOST_TEST(line.find('\n') == std::string::npos);
    BOOST_TEST(line.rfind(R"({"type":"interval","interval_s":1.0,"duration_s":2.0,)", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(summary_json_golden)
{
    const auto text = nsk::summary_json(synth::sample_summary()).dump(1) + "\n";
    BOOST_TEST(synth::matches_golden("summary.json", text));
}
