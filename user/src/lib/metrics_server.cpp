// The HTTP side of `live --listen`: cpp-httplib (Debian libcpp-httplib-dev) on one thread, and
// the Accept-header negotiation between the text format and OpenMetrics.
#include "nsk/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <httplib.h>

namespace nsk {

struct MetricsServer::Impl {
    httplib::Server server;
};

namespace {

Result<std::pair<std::string, int>> split_listen(const std::string &s)
{
    const auto colon = s.rfind(':');
    if (colon == std::string::npos)
        return Error{Errc::usage,
                     "--listen wants ADDR:PORT (e.g. 127.0.0.1:9100 or :9100), not '" + s + "'", 0};
    std::string host = s.substr(0, colon);
    const std::string port_s = s.substr(colon + 1);
    int port = -1;
    auto [p, ec] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), port);
    if (ec != std::errc() || p != port_s.data() + port_s.size() || port < 0 || port > 65535)
        return Error{Errc::usage, "--listen: '" + port_s + "' is not a port number (0-65535)", 0};
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.empty())
        host = "0.0.0.0";
    return std::make_pair(host, port);
}

std::string_view trim(std::string_view v)
{
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

std::string lower(std::string_view v)
{
    std::string out(v);
    for (auto &c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// One clause of an Accept header: "type/subtype; version=1.0.0; q=0.5".
struct AcceptClause {
    std::string media; // lower case "type/subtype"
    std::string version;
    double q = 1.0;
};

std::vector<AcceptClause> parse_accept(std::string_view header)
{
    std::vector<AcceptClause> out;
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view part = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        AcceptClause c;
        const auto semi = part.find(';');
        c.media = lower(trim(part.substr(0, semi)));
        if (c.media.empty())
            continue;
        std::string_view params =
            semi == std::string_view::npos ? std::string_view() : part.substr(semi + 1);
        while (!params.empty()) {
            const auto next = params.find(';');
            const std::string_view p = params.substr(0, next);
            params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
            const auto eq = p.find('=');
            if (eq == std::string_view::npos)
                continue;
            const std::string key = lower(trim(p.substr(0, eq)));
            std::string_view val = trim(p.substr(eq + 1));
            if (val.size() >= 2 && val.front() == '"' && val.back() == '"')
                val = val.substr(1, val.size() - 2);
            if (key == "q") {
                // As client_golang's goautoneg: an unparsable q counts as 0.
                double q = 0;
                const auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), q);
                c.q = ec == std::errc() && end == val.data() + val.size() ? q : 0.0;
            } else if (key == "version") {
                c.version = std::string(val);
            }
        }
        out.push_back(std::move(c));
    }
    // Highest q first; equal q keep the client's order.
    std::stable_sort(out.begin(), out.end(),
                     [](const AcceptClause &a, const AcceptClause &b) { return a.q > b.q; });
    return out;
}

} // namespace

Negotiated negotiate(std::string_view accept)
{
    for (const auto &c : parse_accept(accept)) {
        if (c.q <= 0)
            continue; // RFC 9110: q=0 means "not acceptable"
        if (c.media == "text/plain" && (c.version.empty() || c.version == "0.0.4"))
            return {ExpositionFormat::text, kTextContentType};
        if (c.media == "application/openmetrics-text" &&
            (c.version.empty() || c.version == "1.0.0" || c.version == "0.0.1"))
            return {ExpositionFormat::openmetrics,
                    c.version == "0.0.1"
                        ? "application/openmetrics-text; version=0.0.1; charset=utf-8"
                        : kOpenMetricsContentType};
    }
    return {};
}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string &listen)
{
    auto hp = split_listen(listen);
    if (!hp)
        return hp.error();
    std::unique_ptr<MetricsServer> m(new MetricsServer());
    m->impl_ = std::make_unique<Impl>();
    m->host_ = hp->first;
    auto *self = m.get();
    m->impl_->server.Get("/metrics", [self](const httplib::Request &req, httplib::Response &res) {
        const Negotiated n = negotiate(req.get_header_value("Accept"));
        res.set_header("Vary", "Accept");
        res.set_content(render(*self->snapshot(), n.format), n.content_type);
    });
    m->impl_->server.Get("/", [](const httplib::Request &, httplib::Response &res) {
        res.set_content("netstack-kmon: metrics are at /metrics\n", "text/plain");
    });
    int port = hp->second;
    if (port == 0) {
        port = m->impl_->server.bind_to_any_port(m->host_);
        if (port <= 0)
            port = -1;
    } else if (!m->impl_->server.bind_to_port(m->host_, port)) {
        port = -1;
    }
    if (port < 0)
        return Error{Errc::system, "cannot listen on " + listen + " (address in use or not local?)",
                     0};
    m->port_ = port;
    m->thread_ = std::thread([self] { self->impl_->server.listen_after_bind(); });
    // stop() is a no-op until the loop runs: wait for it, so the destructor always ends it.
    for (int i = 0; i < 5000 && !m->impl_->server.is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return m;
}

MetricsServer::~MetricsServer()
{
    if (impl_)
        impl_->server.stop();
    if (thread_.joinable())
        thread_.join();
}

void MetricsServer::publish(MetricSet metrics)
{
    auto next = std::make_shared<const MetricSet>(std::move(metrics));
    std::lock_guard<std::mutex> lock(mu_);
    metrics_ = std::move(next);
}

std::shared_ptr<const MetricSet> MetricsServer::snapshot() const
{
    std::lock_guard<std::mutex> lock(mu_);
    return metrics_;
}

std::string MetricsServer::current(ExpositionFormat f) const
{
    return render(*snapshot(), f);
}

std::string MetricsServer::url() const
{
    const bool v6 = host_.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/metrics";
}

} // namespace nsk
