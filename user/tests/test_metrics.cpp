#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include "synth_capture.hpp"

#include "nsk/metrics.hpp"

#include <httplib.h>

#include <sstream>
#include <vector>

namespace {

/// The sample lines of an exposition (no comments, no blank lines).
std::vector<std::string> sample_lines(const std::string &text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != '#')
            out.push_back(line);
    return out;
}

bool has(const std::string &text, const std::string &needle)
{
    return text.find(needle) != std::string::npos;
}

} // namespace

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

BOOST_AUTO_TEST_CASE(openmetrics_metadata)
{
    const auto text = nsk::render_openmetrics(synth::synth_rcvbuf_run().summary, true);
    BOOST_TEST(has(text, "# TYPE netstack_kmon_build info\n"));
    BOOST_TEST(has(text, "\nnetstack_kmon_build_info{version=\""));
    BOOST_TEST(has(text, "# TYPE netstack_kmon_socket_drops counter\n"
                         "# HELP netstack_kmon_socket_drops "));
    BOOST_TEST(has(text, "# TYPE netstack_kmon_stage_latency_seconds histogram\n"
                         "# UNIT netstack_kmon_stage_latency_seconds seconds\n"));
}

BOOST_AUTO_TEST_CASE(text_format_shape)
{
    const auto run = synth::synth_rcvbuf_run();
    const auto text = nsk::render_text(run.summary, true);
    BOOST_TEST(!has(text, "# EOF"));
    BOOST_TEST(!has(text, "# UNIT"));
    BOOST_TEST(!has(text, " info\n"));
    BOOST_TEST(!has(text, " unknown\n"));
    // info -> gauge NAME_info; counters are named with _total; HELP before TYPE.
    BOOST_TEST(has(text, "# HELP netstack_kmon_build_info netstack-kmon version"));
    BOOST_TEST(has(text, "\n# TYPE netstack_kmon_build_info gauge\nnetstack_kmon_build_info{"));
    BOOST_TEST(has(text, "# HELP netstack_kmon_socket_drops_total Packets the socket's receive "
                         "queue refused, by reason.\n# TYPE netstack_kmon_socket_drops_total "
                         "counter\n"));
    BOOST_TEST(has(text, "# TYPE netstack_kmon_stage_latency_seconds histogram\n"));
    BOOST_TEST(has(text, "# TYPE netstack_kmon_collection_seconds gauge\n"));
    BOOST_TEST(has(text, "netstack_kmon_socket_drops_total{proto=\"udp\",local=\"127.0.0.1:9000\","
                         "remote=\"0.0.0.0:0\",netns=\"4026531840\",pid=\"4242\",comm=\"rx-app\","
                         "reason=\"SOCKET_RCVBUFF\"} 16\n"));
    BOOST_TEST(has(text, "netstack_kmon_path_latency_seconds_count{path=\"rx\"} 109\n"));
}

BOOST_AUTO_TEST_CASE(one_model_same_samples_in_both_formats)
{
    const auto run = synth::synth_rcvbuf_run();
    const auto m = nsk::build_metrics(run.summary, true);
    const auto om = nsk::render(m, nsk::ExpositionFormat::openmetrics);
    const auto text = nsk::render(m, nsk::ExpositionFormat::text);
    BOOST_TEST(om == nsk::render_openmetrics(run.summary, true));
    BOOST_TEST(text == nsk::render_text(run.summary, true));
    const auto a = sample_lines(om), b = sample_lines(text);
    BOOST_TEST(a.size() > 100u);
    BOOST_TEST(a == b, boost::test_tools::per_element());
    // Every family has its metadata in both, TYPE once.
    for (const auto &f : m.families) {
        BOOST_TEST(has(om, "# TYPE " + f.name + " "));
        BOOST_TEST(has(om, "# HELP " + f.name + " "));
    }
}

BOOST_AUTO_TEST_CASE(type_mapping_and_help_escaping)
{
    nsk::MetricSet m;
    nsk::MetricFamily f;
    f.name = "x";
    f.type = nsk::MetricType::unknown;
    f.help = "a\"b\\c\nd";
    f.samples.push_back({"x", {{"k", "v\"w"}}, "1"});
    m.families.push_back(f);
    BOOST_TEST(nsk::render(m, nsk::ExpositionFormat::openmetrics) ==
               "# TYPE x unknown\n# HELP x a\\\"b\\\\c\\nd\nx{k=\"v\\\"w\"} 1\n# EOF\n");
    BOOST_TEST(nsk::render(m, nsk::ExpositionFormat::text) ==
               "# HELP x a\"b\\\\c\\nd\n# TYPE x untyped\nx{k=\"v\\\"w\"} 1\n");
    BOOST_TEST(nsk::render(nsk::MetricSet{}, nsk::ExpositionFormat::openmetrics) == "# EOF\n");
    BOOST_TEST(nsk::render(nsk::MetricSet{}, nsk::ExpositionFormat::text) == "");
}

namespace {
const char *const kText = nsk::kTextContentType;
const char *const kOm = nsk::kOpenMetricsContentType;
const char *const kOm001 = "application/openmetrics-text; version=0.0.1; charset=utf-8";
// What Prometheus 2.x sends (scrape/scrape.go acceptHeader; Debian bookworm's 2.42).
const char *const kPrometheus2 = "application/openmetrics-text;version=1.0.0,application/"
                                 "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                                 "q=0.5,*/*;q=0.1";
// Prometheus 3.x default scrape_protocols.
const char *const kPrometheus3 =
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/"
    "openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
// Prometheus 3 configured to prefer the text format (scrape_protocols: PrometheusText1.0.0 first):
// we do not speak text 1.0.0, the next clause is text 0.0.4.
const char *const kPrometheus3Text = "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,text/"
                                     "plain;version=0.0.4;q=0.5,application/openmetrics-text;"
                                     "version=1.0.0;escaping=allow-utf-8;q=0.4,*/*;q=0.3";
// Prometheus with native histograms: protobuf first, which we do not speak.
const char *const kPrometheusProto =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
    "q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
} // namespace

BOOST_AUTO_TEST_CASE(negotiation)
{
    struct Case {
        const char *accept;
        nsk::ExpositionFormat format;
        const char *content_type;
    };
    using F = nsk::ExpositionFormat;
    const Case cases[] = {
        {"", F::text, kText}, // curl, promtool, urllib
        {"*/*", F::text, kText},
        {"text/plain", F::text, kText},
        {"text/plain; version=0.0.4", F::text, kText},
        {"text/*", F::text, kText},
        {"application/json, text/html", F::text, kText},
        {"application/openmetrics-text", F::openmetrics, kOm},
        {"application/openmetrics-text; version=1.0.0; charset=utf-8", F::openmetrics, kOm},
        {"application/openmetrics-text;version=0.0.1", F::openmetrics, kOm001},
        {"Application/OpenMetrics-Text; Version=\"1.0.0\"", F::openmetrics, kOm},
        {"application/openmetrics-text;version=2.0.0", F::text, kText}, // a version we lack
        {kPrometheus2, F::openmetrics, kOm},
        {kPrometheus3, F::openmetrics, kOm},
        {kPrometheus3Text, F::text, kText},
        {kPrometheusProto, F::text, kText},
        // q-values decide, not the order in the header.
        {"text/plain;version=0.0.4;q=0.2,application/openmetrics-text;version=1.0.0;q=0.8",
         F::openmetrics, kOm},
        {"application/openmetrics-text;version=1.0.0;q=0.1,text/plain;version=0.0.4;q=0.9", F::text,
         kText},
        // Equal q: the client's order.
        {"application/openmetrics-text;q=0.5, text/plain;q=0.5", F::openmetrics, kOm},
        {"text/plain;q=0.5, application/openmetrics-text;q=0.5", F::text, kText},
        // q=0 is "not acceptable"; an unparsable q counts as 0.
        {"application/openmetrics-text;q=0", F::text, kText},
        {"application/openmetrics-text;q=x", F::text, kText},
        {"application/openmetrics-text;q=0.001", F::openmetrics, kOm},
    };
    for (const auto &c : cases) {
        BOOST_TEST_CONTEXT("Accept: " << c.accept)
        {
            const auto n = nsk::negotiate(c.accept);
            BOOST_TEST((n.format == c.format));
            BOOST_TEST(n.content_type == c.content_type);
        }
    }
}

BOOST_AUTO_TEST_CASE(server_serves_metrics)
{
    auto srv = nsk::MetricsServer::start("127.0.0.1:0");
    BOOST_REQUIRE(srv.ok());
    BOOST_TEST((*srv)->port() > 0);
    BOOST_TEST((*srv)->current(nsk::ExpositionFormat::openmetrics) == "# EOF\n");
    BOOST_TEST((*srv)->current(nsk::ExpositionFormat::text) == "");
    const auto run = synth::synth_rcvbuf_run();
    (*srv)->publish(nsk::build_metrics(run.summary, true));
    BOOST_TEST((*srv)->current(nsk::ExpositionFormat::openmetrics) ==
               nsk::render_openmetrics(run.summary, true));
    BOOST_TEST((*srv)->current(nsk::ExpositionFormat::text) == nsk::render_text(run.summary, true));
    BOOST_TEST((*srv)->url().find("http://127.0.0.1:") == 0u);

    // Over HTTP: the Accept header picks the format.
    httplib::Client cli("127.0.0.1", (*srv)->port());
    auto plain = cli.Get("/metrics");
    BOOST_REQUIRE(plain);
    BOOST_TEST(plain->status == 200);
    BOOST_TEST(plain->get_header_value("Content-Type") == nsk::kTextContentType);
    BOOST_TEST(plain->get_header_value("Vary") == "Accept");
    BOOST_TEST(plain->body == nsk::render_text(run.summary, true));
    auto om = cli.Get("/metrics", {{"Accept", kPrometheus2}});
    BOOST_REQUIRE(om);
    BOOST_TEST(om->get_header_value("Content-Type") == nsk::kOpenMetricsContentType);
    BOOST_TEST(om->body == nsk::render_openmetrics(run.summary, true));

    auto bad = nsk::MetricsServer::start("nonsense");
    BOOST_TEST(!bad.ok());
    BOOST_TEST(nsk::exit_code(bad.error()) == 2);
}

// Cardinality is bounded: the most active sockets get their own series, the others and the
// pruned ones are summed into local="other" per protocol, and the sum over the series is still
// every socket's count.
BOOST_AUTO_TEST_CASE(socket_series_are_top_n_plus_an_exact_aggregate)
{
    nsk::Summary s;
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < 500; ++i) {
        nsk::SocketRow r;
        r.proto = "udp";
        r.family = 4;
        r.local = "10.0.0." + std::to_string(i % 250) + ":" + std::to_string(1000 + i);
        r.remote = "0.0.0.0:0";
        r.rx_packets = i + 1; // socket i has i + 1 packets: the top 10 are 491..500
        total += r.rx_packets;
        s.sockets.push_back(r);
    }
    nsk::SocketRow pruned;
    pruned.proto = "udp";
    pruned.rx_packets = 7000;
    pruned.pruned_sockets = 3000;
    total += pruned.rx_packets;
    s.sockets_pruned.push_back(pruned);

    const auto m = nsk::build_metrics(s, false, 10);
    std::size_t series = 0;
    std::uint64_t sum = 0, other = 0, other_sockets = 0, smallest_own = UINT64_MAX;
    for (const auto &f : m.families) {
        if (f.name == "netstack_kmon_socket_rx_packets")
            for (const auto &smp : f.samples) {
                ++series;
                const std::uint64_t v = std::stoull(smp.value);
                sum += v;
                bool is_other = false;
                for (const auto &[k, lv] : smp.labels)
                    is_other = is_other || (k == "local" && lv == "other");
                if (is_other)
                    other = v;
                else
                    smallest_own = std::min(smallest_own, v);
            }
        if (f.name == "netstack_kmon_socket_series_other")
            for (const auto &smp : f.samples)
                other_sockets += std::stoull(smp.value);
    }
    BOOST_TEST(series == 11u);        // 10 own + 1 aggregate
    BOOST_TEST(sum == total);         // nothing lost from the totals
    BOOST_TEST(smallest_own == 491u); // the most active have their own series
    BOOST_TEST(other == total - (491 + 500) * 10 / 2);
    BOOST_TEST(other_sockets == 490u + 3000u);
}
