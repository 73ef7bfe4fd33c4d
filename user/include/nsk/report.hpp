// Renderers for the summary: JSON Lines objects and the text report.
#pragma once

#include "nsk/histogram.hpp"
#include "nsk/summary.hpp"

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace nsk {

using ojson = nlohmann::ordered_json;

/// {"count", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "hist": [[lo, hi, n], ...]}
ojson latency_json(const Histogram &h);
/// One row of "sockets" (cli-contract.md).
void to_json(ojson &j, const SocketRow &r);
/// The cli-contract summary object; type is "summary" or "interval" (interval_s added).
ojson summary_json(const Summary &s, std::string_view type = "summary",
                   std::optional<double> interval_s = std::nullopt);

enum class ReportMode { full, drops };

struct TextOptions {
    ReportMode mode = ReportMode::full;
    std::string title = "summary"; // e.g. "summary", "interval 3"
    int bar_width = 40;
};

std::string summary_text(const Summary &s, const TextOptions &opts = {});
/// The verdicts section of the text report ("" when the summary has none).
std::string verdicts_text(const Summary &s);

} // namespace nsk
