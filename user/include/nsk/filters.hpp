// FILTERS of live/drops/record: raw option values -> validated filters -> CONFIG attributes.
#pragma once

#include "nsk/error.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace nsk {

/// Raw option values as CLI11 fills them (empty / nullopt = not given).  parse_filters() is the
/// one place they are checked.
struct FilterOptions {
    std::string proto;               // udp | tcp
    std::optional<long long> port;   // 1..65535
    std::string addr;                // IP or IP/prefix
    std::optional<long long> pid;    // tgid
    std::optional<long long> netns;  // netns inode
    std::string sample;              // "1/N" or "N"
    std::optional<long long> budget; // governor budget, records/s per CPU (0 = off)
    /// A filter of what is traced was given (--budget is not one).
    bool any() const
    {
        return port || !proto.empty() || !addr.empty() || pid || netns || !sample.empty();
    }
};

struct AddrFilter {
    std::uint8_t family = 0; // AF_INET / AF_INET6
    std::array<std::uint8_t, 16> bytes{};
    std::uint8_t prefix = 0;
    std::string text; // canonical "a.b.c.d/len"
};

struct Filters {
    std::optional<std::uint8_t> proto;
    std::optional<std::uint16_t> port;
    std::optional<AddrFilter> addr;
    std::optional<std::uint32_t> pid;
    std::optional<std::uint32_t> netns;
    std::uint32_t sample = 1; // keep 1 flow in N
    /// Overhead governor budget (records/s per CPU; 0 = off); unset = module default.
    std::optional<std::uint32_t> budget;
    bool any() const { return proto || port || addr || pid || netns || sample > 1; }
};

Result<Filters> parse_filters(const FilterOptions &opts);
/// "1/N" or "N" -> N (>= 1).
Result<std::uint32_t> parse_sample(const std::string &s);
/// "IP" or "IP/prefix".
Result<AddrFilter> parse_addr(const std::string &s);
/// JSON view (enums as strings, absent filters as null).
nlohmann::ordered_json filters_json(const Filters &f);
/// Back from filters_json() (captures); what does not parse reads as not set.
Filters filters_from_json(const nlohmann::json &j);
/// One-line text ("none" when empty).
std::string filters_text(const Filters &f);

} // namespace nsk
