#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include "synth_capture.hpp"

#include "nsk/metrics.hpp"

BOOST_AUTO_TEST_CASE(exposition_shape)
{
    const auto run = synth::synth_rcvbuf_run();
    const auto text = nsk::render_openmetrics(run.summary, true);
    BOOST_TEST(text.size() > 100u);
    BOOST_TEST(text.substr(text.size() - 6) == "# EOF\n");
    BOOST_TEST(text.find("# TYPE netstack_kmon_stage_latency_seconds histogram") !=
               std::string::npos);
    BOOST_TEST(text.find("le=\"+Inf\"") != std::string::npos);
    BOOST_TEST(text.find("netstack_kmon_socket_drops_total{proto=\"udp\",local=\"127.0.0.1:9000\","
                         "remote=\"0.0.0.0:0\",netns=\"4026531840\",pid=\"4242\",comm=\"rx-app\","
                         "reason=\"SOCKET_RCVBUFF\"} 16") != std::string::npos);
    BOOST_TEST(text.find("netstack_kmon_socket_kernel_drops_total{proto=\"udp\",local=\"127.0.0.1:"
                         "9000\"") != std::string::npos);
    BOOST_TEST(text.find("netstack_kmon_loss_records_total{kind=\"netlink\"} 0") !=
               std::string::npos);
    BOOST_TEST(text.find("netstack_kmon_collection_finished 1") != std::string::npos);
    BOOST_TEST(text.find("netstack_kmon_path_latency_seconds_count{path=\"rx\"} 109") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(buckets_are_cumulative_and_exact)
{
    nsk::Summary s;
    nsk::StageRow r;
    r.path = "rx";
    r.from = "a";
    r.to = "b";
    r.hist.add(1000); // bucket [512, 1024): le 1023 ns
    r.hist.add(1023);
    r.hist.add(1024); // next bucket
    s.stages.push_back(r);
    const auto text = nsk::render_openmetrics(s, false);
    BOOST_TEST(text.find("_bucket{path=\"rx\",from=\"a\",to=\"b\",le=\"0.000000511\"} 0") !=
               std::string::npos);
    BOOST_TEST(text.find("_bucket{path=\"rx\",from=\"a\",to=\"b\",le=\"0.000001023\"} 2") !=
               std::string::npos);
    BOOST_TEST(text.find("_bucket{path=\"rx\",from=\"a\",to=\"b\",le=\"0.000002047\"} 3") !=
               std::string::npos);
    BOOST_TEST(text.find("_sum{path=\"rx\",from=\"a\",to=\"b\"} 0.000003047") != std::string::npos);
    BOOST_TEST(text.find("_count{path=\"rx\",from=\"a\",to=\"b\"} 3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(label_escaping)
{
    BOOST_TEST(nsk::escape_label("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}

BOOST_AUTO_TEST_CASE(server_serves_metrics)
{
    auto srv = nsk::MetricsServer::start("127.0.0.1:0");
    BOOST_REQUIRE(srv.ok());
    BOOST_TEST((*srv)->port() > 0);
    (*srv)->publish("x 1\n# EOF\n");
    BOOST_TEST((*srv)->current() == "x 1\n# EOF\n");
    BOOST_TEST((*srv)->url().find("http://127.0.0.1:") == 0u);
    auto bad = nsk::MetricsServer::start("nonsense");
    BOOST_TEST(!bad.ok());
    BOOST_TEST(nsk::exit_code(bad.error()) == 2);
}
