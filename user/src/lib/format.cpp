#include "nsk/format.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>

namespace nsk {

namespace {

char *put_decimal(char *p, unsigned v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

} // namespace

// The correlator formats socket tuples per event: IPv4 by hand, as inet_ntop would print it
// (inet_ntop goes through sprintf, which was a tenth of a replay's time).
std::string format_endpoint(std::uint8_t family, const std::uint8_t *addr, std::uint16_t port)
{
    if (family == AF_INET) {
        char buf[sizeof("255.255.255.255:65535")];
        char *p = buf;
        for (int i = 0; i < 4; ++i) {
            if (i)
                *p++ = '.';
            p = put_decimal(p, addr[i]);
        }
        *p++ = ':';
        p = put_decimal(p, port);
        return std::string(buf, p);
    }
    if (family == AF_INET6) {
        char buf[INET6_ADDRSTRLEN] = {};
        if (!inet_ntop(AF_INET6, addr, buf, sizeof(buf)))
            return "";
        return "[" + std::string(buf) + "]:" + std::to_string(port);
    }
    return "";
}

int family_number(std::uint8_t af)
{
    if (af == AF_INET)
        return 4;
    if (af == AF_INET6)
        return 6;
    return 0;
}

std::string proto_name(std::uint8_t proto)
{
    switch (proto) {
    case 0:
        return "";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_ICMP:
        return "icmp";
    case IPPROTO_ICMPV6:
        return "icmpv6";
    case IPPROTO_UDPLITE:
        return "udplite";
    default:
        return "proto" + std::to_string(proto);
    }
}

std::uint8_t proto_from_name(std::string_view name)
{
    if (name == "udp")
        return IPPROTO_UDP;
    if (name == "tcp")
        return IPPROTO_TCP;
    if (name == "udplite")
        return IPPROTO_UDPLITE;
    return 0;
}

std::string human_ns(std::uint64_t ns)
{
    char buf[32];
    auto fmt = [&](double v, const char *unit) {
        if (v < 10)
            std::snprintf(buf, sizeof(buf), "%.2f%s", v, unit);
        else if (v < 100)
            std::snprintf(buf, sizeof(buf), "%.1f%s", v, unit);
        else
            std::snprintf(buf, sizeof(buf), "%.0f%s", v, unit);
        return std::string(buf);
    };
    if (ns < 1000)
        return std::to_string(ns) + "ns";
    if (ns < 1000000)
        return fmt(static_cast<double>(ns) / 1e3, "µs");
    if (ns < 1000000000)
        return fmt(static_cast<double>(ns) / 1e6, "ms");
    return fmt(static_cast<double>(ns) / 1e9, "s");
}

std::string pow2_label(std::uint64_t v)
{
    static const char *suffix[] = {"", "K", "M", "G", "T", "P", "E"};
    int i = 0;
    while (v >= 1024 && v % 1024 == 0 && i < 6) {
        v /= 1024;
        ++i;
    }
    return std::to_string(v) + suffix[i];
}

std::string errno_name(int err)
{
    if (err < 0)
        err = -err;
    if (err == 0)
        return "";
    switch (err) { // kernel-internal codes that never reach libc's table
    case 512:
        return "ERESTARTSYS";
    case 524:
        return "ENOTSUPP";
    default:
        break;
    }
    if (const char *n = strerrorname_np(err))
        return n;
    return "E" + std::to_string(err);
}

std::string strip_location_size(std::string_view loc)
{
    auto slash = loc.rfind('/');
    if (slash != std::string_view::npos && loc.substr(slash + 1).rfind("0x", 0) == 0)
        loc = loc.substr(0, slash);
    return std::string(loc);
}

std::string bounded_string(const char *s, std::size_t max)
{
    return valid_utf8(std::string_view(s, strnlen(s, max)));
}

std::string valid_utf8(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = byte(i);
        std::size_t n = 0;                  // continuation bytes
        unsigned char lo = 0x80, hi = 0xBF; // range of the first continuation byte (RFC 3629)
        if (c < 0x80)
            n = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            out += '?';
            ++i;
            continue;
        }
        bool ok = i + n < s.size() || n == 0;
        for (std::size_t k = 1; ok && k <= n; ++k) {
            const unsigned char b = byte(i + k);
            ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
        }
        if (!ok) {
            out += '?';
            ++i;
            continue;
        }
        out.append(s.substr(i, n + 1));
        i += n + 1;
    }
    return out;
}

namespace {
// Display width of UTF-8 text: count code points (all our glyphs are single width).
std::size_t display_width(const std::string &s)
{
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}
} // namespace

std::string render_table(const std::vector<std::vector<std::string>> &rows,
                         const std::vector<std::size_t> &right, std::string_view indent)
{
    std::vector<std::size_t> width;
    for (const auto &row : rows) {
        if (width.size() < row.size())
            width.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], display_width(row[i]));
    }
    std::string out;
    for (const auto &row : rows) {
        std::string line(indent);
        for (std::size_t i = 0; i < row.size(); ++i) {
            const bool is_right = std::find(right.begin(), right.end(), i) != right.end();
            const std::size_t pad = width[i] - display_width(row[i]);
            if (i > 0)
                line += "  ";
            if (is_right)
                line.append(pad, ' ');
            line += row[i];
            if (!is_right && i + 1 < row.size())
                line.append(pad, ' ');
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out += line;
        out += '\n';
    }
    return out;
}

} // namespace nsk
