// Prometheus metrics of a Summary, and the /metrics endpoint of `live --listen`.
//
// One model, two serializers.  build_metrics() turns a Summary into a MetricSet (families with
// type, unit, help and samples) once; render() writes it in either exposition format:
//  - the classic Prometheus text format 0.0.4: the default, what `curl`, `promtool check
//    metrics` and scrapers that send no Accept header get.  It has no `info`/`unknown` types, no
//    UNIT lines and no `# EOF`: an info family is a gauge named NAME_info, a counter family is
//    named NAME_total (its samples are the same), unknown is untyped;
//  - OpenMetrics 1.0.0, only when the request's Accept header asks for
//    application/openmetrics-text (as Prometheus itself does).
// The sample lines are the same in both.  negotiate() picks the format the way the official
// client libraries do (client_golang expfmt.NegotiateIncludingOpenMetrics, the Python client's
// choose_encoder).
//
// Families (all prefixed netstack_kmon_): stage_latency_seconds and path_latency_seconds
// (histograms: cumulative le buckets in seconds, _count, _sum; path is rx, queue, tx or
// end_to_end), socket_rx_packets, socket_drops{reason}, socket_kernel_drops (per socket: proto,
// local, remote, netns, pid, comm), drops{reason,location,proto}, journeys{outcome},
// loss_records{kind}, incomplete_journeys, cpu_* (per-CPU kernel counters), snmp_delta{counter},
// events, collection_seconds, collection_finished, build (info).  Values are cumulative since the
// collection started, i.e. counters.
#pragma once

#include "nsk/error.hpp"
#include "nsk/session.hpp"
#include "nsk/summary.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace nsk {

constexpr const char *kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char *kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// --- the model ---------------------------------------------------------------------------------

enum class MetricType { counter, gauge, histogram, info, unknown };

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

struct MetricSample {
    std::string name; // full sample name: NAME_total, NAME_bucket, NAME_info, NAME ...
    MetricLabels labels;
    std::string value; // already in exposition syntax ("12", "0.000001023", "+Inf" never)
};

struct MetricFamily {
    std::string name; // OpenMetrics family name: no _total / _info suffix
    MetricType type = MetricType::unknown;
    std::string unit; // OpenMetrics UNIT ("seconds"), empty if none
    std::string help;
    std::vector<MetricSample> samples;
};

struct MetricSet {
    std::vector<MetricFamily> families;
};

/// Per-socket series kept by default (--metrics-top-sockets): the most active sockets get their
/// own series; the others (and the sockets pruned from the table) are summed into one series per
/// protocol with local="other", so the sum over the series is still every socket's count and
/// the cardinality stays bounded however many sockets come and go.
inline constexpr std::size_t kMetricsTopSockets = 100;

/// The metrics of a Summary; `finished` marks the final numbers of a collection.
MetricSet build_metrics(const Summary &s, bool finished,
                        std::size_t top_sockets = kMetricsTopSockets);

// --- the serializers ---------------------------------------------------------------------------

enum class ExpositionFormat { text, openmetrics };

std::string render(const MetricSet &m, ExpositionFormat f);
/// render(build_metrics(s, finished), openmetrics): terminated by "# EOF\n".
std::string render_openmetrics(const Summary &s, bool finished);
/// render(build_metrics(s, finished), text): the classic text format 0.0.4.
std::string render_text(const Summary &s, bool finished);
/// Label value escaping, the same in both formats (\\, \", \n).
std::string escape_label(const std::string &v);

// --- content negotiation -----------------------------------------------------------------------

struct Negotiated {
    ExpositionFormat format = ExpositionFormat::text;
    std::string content_type = kTextContentType;
};

/// The format for a request's Accept header (empty: none sent).  Clauses are tried by q-value,
/// highest first (equal q: in header order); the first that names a format we speak wins:
/// text/plain with version 0.0.4 or none, or application/openmetrics-text with version 1.0.0,
/// 0.0.1 or none (the reply names the version asked for).  A clause with q=0 is "not
/// acceptable" and skipped.  Nothing matching (*/*, application/json, ...): the text format.
Negotiated negotiate(std::string_view accept);

// --- the endpoint ------------------------------------------------------------------------------

/// Serves the latest published metrics on GET /metrics (cpp-httplib, one background thread),
/// rendered per request in the negotiated format.
class MetricsServer {
public:
    /// "ADDR:PORT", "[v6]:PORT" or ":PORT" (all addresses); PORT 0 picks a free port.
    static Result<std::unique_ptr<MetricsServer>> start(const std::string &listen);
    ~MetricsServer();
    MetricsServer(const MetricsServer &) = delete;
    MetricsServer &operator=(const MetricsServer &) = delete;

    void publish(MetricSet metrics);
    /// The body a request in format `f` gets now.
    std::string current(ExpositionFormat f) const;
    int port() const { return port_; }
    const std::string &host() const { return host_; }
    /// "http://HOST:PORT/metrics"
    std::string url() const;

private:
    MetricsServer() = default;
    std::shared_ptr<const MetricSet> snapshot() const;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string host_;
    int port_ = 0;
    mutable std::mutex mu_; // protects metrics_ (the pointer; the set itself is immutable)
    std::shared_ptr<const MetricSet> metrics_ = std::make_shared<MetricSet>();
    std::thread thread_;
};

/// SessionOutput that republishes the metrics at every interval and at the end.
class MetricsOutput : public SessionOutput {
public:
    explicit MetricsOutput(MetricsServer &srv, std::size_t top_sockets = kMetricsTopSockets)
        : srv_(srv), top_(top_sockets)
    {}
    void interval(const Summary &s, int, double) override
    {
        srv_.publish(build_metrics(s, false, top_));
    }
    void summary(const Summary &s) override { srv_.publish(build_metrics(s, true, top_)); }

private:
    MetricsServer &srv_;
    std::size_t top_;
};

} // namespace nsk
