// The HTTP side of `live --listen`: cpp-httplib (Debian libcpp-httplib-dev) on one thread.
#include "nsk/metrics.hpp"

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

} // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string &listen)
{
    auto hp = split_listen(listen);
    if (!hp)
        return hp.error();
    std::unique_ptr<MetricsServer> m(new MetricsServer());
    m->impl_ = std::make_unique<Impl>();
    m->host_ = hp->first;
    m->text_ = "# EOF\n";
    auto *self = m.get();
    m->impl_->server.Get("/metrics", [self](const httplib::Request &, httplib::Response &res) {
        res.set_content(self->current(), kOpenMetricsContentType);
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

void MetricsServer::publish(std::string text)
{
    std::lock_guard<std::mutex> lock(mu_);
    text_ = std::move(text);
}

std::string MetricsServer::current() const
{
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
}

std::string MetricsServer::url() const
{
    const bool v6 = host_.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/metrics";
}

} // namespace nsk
