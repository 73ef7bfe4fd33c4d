// Reorder stage: records of one CPU arrive in order, across CPUs they interleave arbitrarily.
// A min-heap by (ts_ns, cpu, seq) holds records until they are older than the newest timestamp
// seen minus `window_ns` (event time), then releases them in timestamp order.
#pragma once

#include "nsk/record.hpp"

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace nsk {

class ReorderBuffer {
public:
    using Sink = std::function<void(const Record &)>;
    explicit ReorderBuffer(std::uint64_t window_ns = 300'000'000) : window_ns_(window_ns) {}

    void push(const Record &r);
    /// Release records older than max_ts_seen - window.
    void release(const Sink &sink);
    /// Release records with ts < watermark (e.g. derived from the wall clock when idle).
    void release_until(std::uint64_t watermark, const Sink &sink);
    /// Release everything (end of collection).
    void flush(const Sink &sink);

    std::size_t size() const { return heap_.size(); }
    std::uint64_t max_ts() const { return max_ts_; }
    /// Records that arrived older than something already released (processed anyway).
    std::uint64_t late() const { return late_; }

private:
    struct Later {
        bool operator()(const Record &a, const Record &b) const
        {
            if (a.ev.ts_ns != b.ev.ts_ns)
                return a.ev.ts_ns > b.ev.ts_ns;
            if (a.cpu != b.cpu)
                return a.cpu > b.cpu;
            return a.seq > b.seq;
        }
    };
    std::priority_queue<Record, std::vector<Record>, Later> heap_;
    std::uint64_t window_ns_;
    std::uint64_t max_ts_ = 0;
    std::uint64_t released_ts_ = 0; // ts of the newest record released so far
    bool released_any_ = false;
    std::uint64_t late_ = 0;
};

} // namespace nsk
