// Small formatting helpers shared by the decoder, correlator and reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nsk {

/// "a.b.c.d:port" for AF_INET, "[v6]:port" for AF_INET6, "" for family 0.
/// `addr` holds 4 or 16 bytes in network order, `port` is in host order.
std::string format_endpoint(std::uint8_t family, const std::uint8_t *addr, std::uint16_t port);
/// 4 for AF_INET, 6 for AF_INET6, 0 otherwise.
int family_number(std::uint8_t af);
/// "udp", "tcp", "icmp", "udplite", ... or "proto<N>"; "" for 0.
std::string proto_name(std::uint8_t proto);
/// Parse "udp"/"tcp"/... back; 0 if unknown.
std::uint8_t proto_from_name(std::string_view name);

/// Human latency: "850ns", "12.3µs", "4.56ms", "1.23s".
std::string human_ns(std::uint64_t ns);
/// bpftrace-style power-of-1024 label: 0, 1, 512, 1K, 4K, 1M, 1G.
std::string pow2_label(std::uint64_t v);
/// Errno name, e.g. "ENOENT"; `err` may be negative.  "E<n>" when unknown.
std::string errno_name(int err);
/// "symbol+0xoff/0xsize" -> "symbol+0xoff".
std::string strip_location_size(std::string_view loc);
/// Bounded C string (not necessarily NUL-terminated) to std::string, valid UTF-8 (valid_utf8).
std::string bounded_string(const char *s, std::size_t max);
/// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by '?':
/// strings from the kernel (a task's comm is any bytes a process chose) go into JSON, whose
/// writer refuses invalid UTF-8 (an exception, which ended `live`; found by fuzz_decoder).
std::string valid_utf8(std::string_view s);

/// A plain text table: first row is the header; columns are left aligned unless listed in
/// `right` (by index).  Two spaces between columns, no trailing blanks.
std::string render_table(const std::vector<std::vector<std::string>> &rows,
                         const std::vector<std::size_t> &right = {}, std::string_view indent = "");

} // namespace nsk
