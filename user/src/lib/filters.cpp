#include "nsk/filters.hpp"

#include "json_read.hpp"
#include "nsk/format.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

namespace nsk {
namespace {
Error usage(std::string msg)
{
    return Error{Errc::usage, std::move(msg), 0};
}

template <typename T>
std::optional<T> to_number(std::string_view s)
{
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}
} // namespace

Result<std::uint32_t> parse_sample(const std::string &s)
{
    std::string_view v = s;
    if (auto slash = v.find('/'); slash != std::string_view::npos) {
        if (v.substr(0, slash) != "1")
            return usage("--sample must be 1/N (keep one flow in N), got '" + s + "'");
        v = v.substr(slash + 1);
    }
    auto n = to_number<std::uint32_t>(v);
    if (!n || *n == 0)
        return usage("--sample must be 1/N with N >= 1, got '" + s + "'");
    return *n;
}

Result<AddrFilter> parse_addr(const std::string &s)
{
    AddrFilter a;
    std::string ip = s;
    std::optional<unsigned> prefix;
    if (auto slash = s.find('/'); slash != std::string::npos) {
        ip = s.substr(0, slash);
        auto p = to_number<unsigned>(std::string_view(s).substr(slash + 1));
        if (!p)
            return usage("--addr prefix must be a number, got '" + s + "'");
        prefix = *p;
    }
    if (inet_pton(AF_INET, ip.c_str(), a.bytes.data()) == 1) {
        a.family = AF_INET;
        if (prefix.value_or(32) > 32)
            return usage("--addr prefix must be 0..32 for IPv4, got '" + s + "'");
        a.prefix = static_cast<std::uint8_t>(prefix.value_or(32));
    } else if (inet_pton(AF_INET6, ip.c_str(), a.bytes.data()) == 1) {
        a.family = AF_INET6;
        if (prefix.value_or(128) > 128)
            return usage("--addr prefix must be 0..128 for IPv6, got '" + s + "'");
        a.prefix = static_cast<std::uint8_t>(prefix.value_or(128));
    } else {
        return usage("--addr must be an IPv4 or IPv6 address (optionally /prefix), got '" + s +
                     "'");
    }
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(a.family, a.bytes.data(), buf, sizeof(buf));
    a.text = std::string(buf) + "/" + std::to_string(a.prefix);
    return a;
}

Result<Filters> parse_filters(const FilterOptions &o)
{
    Filters f;
    if (!o.proto.empty()) {
        if (o.proto != "udp" && o.proto != "tcp")
            return usage("--proto must be udp or tcp, got '" + o.proto + "'");
        f.proto = proto_from_name(o.proto);
    }
    if (o.port) {
        if (*o.port < 1 || *o.port > 65535)
            return usage("--port must be 1..65535, got " + std::to_string(*o.port));
        f.port = static_cast<std::uint16_t>(*o.port);
    }
    if (!o.addr.empty()) {
        auto a = parse_addr(o.addr);
        if (!a)
            return a.error();
        f.addr = *a;
    }
    if (o.pid) {
        if (*o.pid <= 0 || *o.pid > 0x7fffffff)
            return usage("--pid must be a positive process id");
        f.pid = static_cast<std::uint32_t>(*o.pid);
    }
    if (o.netns) {
        if (*o.netns <= 0 || *o.netns > 0xffffffffLL)
            return usage(
                "--netns must be a network namespace inode (see 'ls -L -i /proc/PID/ns/net'"
                " or 'readlink /proc/PID/ns/net')");
        f.netns = static_cast<std::uint32_t>(*o.netns);
    }
    if (!o.sample.empty()) {
        auto n = parse_sample(o.sample);
        if (!n)
            return n.error();
        f.sample = *n;
    }
    if (o.budget) {
        if (*o.budget < 0 || *o.budget > 0xffffffffLL)
            return usage("--budget must be 0..4294967295 records/s per CPU");
        f.budget = static_cast<std::uint32_t>(*o.budget);
    }
    return f;
}

nlohmann::ordered_json filters_json(const Filters &f)
{
    nlohmann::ordered_json j;
    j["proto"] = f.proto ? nlohmann::ordered_json(proto_name(*f.proto)) : nullptr;
    j["port"] = f.port ? nlohmann::ordered_json(*f.port) : nullptr;
    j["addr"] = f.addr ? nlohmann::ordered_json(f.addr->text) : nullptr;
    j["pid"] = f.pid ? nlohmann::ordered_json(*f.pid) : nullptr;
    j["netns"] = f.netns ? nlohmann::ordered_json(*f.netns) : nullptr;
    j["sample"] = f.sample;
    j["budget"] = f.budget ? nlohmann::ordered_json(*f.budget) : nullptr;
    return j;
}

Filters filters_from_json(const nlohmann::json &j)
{
    Filters f;
    if (!j.is_object())
        return f;
    if (j.contains("proto") && j["proto"].is_string())
        if (auto p = proto_from_name(j["proto"].get<std::string>()))
            f.proto = p;
    if (j.contains("port"))
        if (auto v = jr::as<std::uint16_t>(j["port"]))
            f.port = *v;
    if (j.contains("addr") && j["addr"].is_string())
        if (auto a = parse_addr(j["addr"].get<std::string>()))
            f.addr = *a;
    if (j.contains("pid"))
        if (auto v = jr::as<std::uint32_t>(j["pid"]))
            f.pid = *v;
    if (j.contains("netns"))
        if (auto v = jr::as<std::uint32_t>(j["netns"]))
            f.netns = *v;
    f.sample = std::max<std::uint32_t>(1, jr::num<std::uint32_t>(j, "sample", 1));
    if (j.contains("budget"))
        if (auto v = jr::as<std::uint32_t>(j["budget"]))
            f.budget = *v;
    return f;
}

std::string filters_text(const Filters &f)
{
    std::string s;
    auto add = [&](const std::string &x) { s += (s.empty() ? "" : " ") + x; };
    if (f.proto)
        add("proto=" + proto_name(*f.proto));
    if (f.port)
        add("port=" + std::to_string(*f.port));
    if (f.addr)
        add("addr=" + f.addr->text);
    if (f.pid)
        add("pid=" + std::to_string(*f.pid));
    if (f.netns)
        add("netns=" + std::to_string(*f.netns));
    if (f.sample > 1)
        add("sample=1/" + std::to_string(f.sample));
    if (f.budget && *f.budget)
        add("budget=" + std::to_string(*f.budget) + "/s/cpu");
    return s.empty() ? "none" : s;
}

} // namespace nsk
