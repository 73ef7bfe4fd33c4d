// OpenMetrics exposition of a Summary, and the /metrics endpoint of `live --listen`.
//
// Families (all prefixed netstack_kmon_): stage_latency_seconds and path_latency_seconds
// (histograms: cumulative le buckets in seconds, _count, _sum), socket_rx_packets,
// socket_drops{reason}, socket_kernel_drops (per socket: proto, local, remote, netns, pid,
// comm), drops{reason,location,proto}, journeys{outcome}, loss_records{kind},
// incomplete_journeys, cpu_* (per-CPU kernel counters), snmp_delta{counter}, events,
// collection_seconds, collection_finished, build (info).  Values are cumulative since the
// collection started, i.e. counters.
#pragma once

#include "nsk/error.hpp"
#include "nsk/session.hpp"
#include "nsk/summary.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace nsk {

constexpr const char *kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The exposition text, terminated by "# EOF\n".
std::string render_openmetrics(const Summary &s, bool finished);
/// OpenMetrics label value escaping (\\, \", \n).
std::string escape_label(const std::string &v);

/// Serves the latest published text on GET /metrics (cpp-httplib, one background thread).
class MetricsServer {
public:
    /// "ADDR:PORT", "[v6]:PORT" or ":PORT" (all addresses); PORT 0 picks a free port.
    static Result<std::unique_ptr<MetricsServer>> start(const std::string &listen);
    ~MetricsServer();
    MetricsServer(const MetricsServer &) = delete;
    MetricsServer &operator=(const MetricsServer &) = delete;

    void publish(std::string text);
    std::string current() const;
    int port() const { return port_; }
    const std::string &host() const { return host_; }
    /// "http://HOST:PORT/metrics"
    std::string url() const;

private:
    MetricsServer() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string host_;
    int port_ = 0;
    mutable std::mutex mu_;
    std::string text_;
    std::thread thread_;
};

/// SessionOutput that republishes the exposition at every interval and at the end.
class MetricsOutput : public SessionOutput {
public:
    explicit MetricsOutput(MetricsServer &srv) : srv_(srv) {}
    void interval(const Summary &s, int, double) override
    {
        srv_.publish(render_openmetrics(s, false));
    }
    void summary(const Summary &s) override { srv_.publish(render_openmetrics(s, true)); }

private:
    MetricsServer &srv_;
};

} // namespace nsk
