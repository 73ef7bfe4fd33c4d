// Verdicts: what the tool concludes from a summary — for each finding the cause, the evidence
// (counts, rates, which socket, reason and call site) and the change, sized from what was
// measured where the data allows it (docs/report.md, "Verdicts").  One rule per cause, each
// stating what it cannot know (sampled or lossy runs, bounds instead of exact sizes).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nsk {

struct Summary;

struct Verdict {
    std::string kind;    // stable id (docs/report.md): "rcvbuf_burst", "reader_too_slow", ...
    std::string subject; // what it is about, for people
    nlohmann::ordered_json socket;  // {proto, local, remote, netns, pid, comm}, null if none
    std::uint64_t drops = 0;        // packets it explains (0: latency, the tool's own loss)
    std::string cause;              // one sentence
    nlohmann::ordered_json evidence = nlohmann::ordered_json::object();
    std::string change;             // one sentence: what to change
    nlohmann::ordered_json suggest = nlohmann::ordered_json::object(); // the change, as numbers
    std::string confidence;         // "measured", "upper_bound", "lower_bound", "none"
    std::vector<std::string> caveats; // what the data does not show
};

/// Every finding of `s`, most dropped packets first, then latency and the tool's own loss.
std::vector<Verdict> diagnose(const Summary &s);

/// One verdict as JSON (the "verdicts" array of a summary, `diagnose --json`).
nlohmann::ordered_json verdict_json(const Verdict &v);

/// The receive buffer (sk_rcvbuf) that holds `bytes` with a quarter of headroom, in whole
/// pages, and the SO_RCVBUF value that gets it (the kernel doubles what setsockopt asks).
struct RcvbufSize {
    std::uint64_t sk_rcvbuf = 0;
    std::uint64_t so_rcvbuf = 0;
};
RcvbufSize rcvbuf_for(std::uint64_t bytes);

} // namespace nsk
